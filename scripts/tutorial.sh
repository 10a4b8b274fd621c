#!/usr/bin/env bash
# Run the whole tutorial headlessly: set up, get the bases, build every image, then execute each
# notebook in order. Executed copies and an HTML report go to output/ (or $DOCKERLAB_OUTPUT).
#
#   scripts/tutorial.sh
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
out=${DOCKERLAB_OUTPUT:-output}
mkdir -p "$out/executed" "$out/html"
.venv/bin/python -m dockerlab preflight
.venv/bin/python -m dockerlab prepare
status=0
for nb in notebooks/[0-9][0-9]-*.ipynb; do
  name=$(basename "$nb" .ipynb)
  printf 'tutorial: running %s ... ' "$name" >&2
  start=$(date +%s)
  if .venv/bin/jupyter nbconvert --to notebook --execute --ExecutePreprocessor.timeout=1800 \
       --output-dir "$out/executed" "$nb" >"$out/$name.log" 2>&1; then
    printf 'ok (%ss)\n' "$(( $(date +%s) - start ))" >&2
  else
    printf 'FAILED (see %s)\n' "$out/$name.log" >&2
    status=1
  fi
  if [ -f "$out/executed/$name.ipynb" ]; then
    .venv/bin/jupyter nbconvert --to html --output-dir "$out/html" "$out/executed/$name.ipynb" >/dev/null 2>&1 || true
  fi
done
.venv/bin/python scripts/report_index.py "$out"
echo "tutorial: report at $out/index.html" >&2
exit $status
