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
# One process runs every notebook in order, each in a fresh kernel (see dockerlab/headless.py).
.venv/bin/python -m dockerlab.headless --html "$out" notebooks/[0-9][0-9]-*.ipynb || status=1
.venv/bin/python scripts/report_index.py "$out"
echo "tutorial: report at $out/index.html" >&2
exit $status
