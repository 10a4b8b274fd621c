#!/usr/bin/env bash
# Run the whole tutorial headlessly: set up, get the bases, build every image, then execute each
# notebook in order. Executed copies and a report go to output/ (or $DOCKERLAB_OUTPUT): open
# output/index.html for each lesson's status and times, the images' sizes and the lessons' plots.
#
#   scripts/tutorial.sh
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
out=${DOCKERLAB_OUTPUT:-output}
# Start from an empty report: nothing of an earlier run (a lesson since renamed, a log of a
# failure since fixed) may show on this run's page.
rm -rf "$out/executed" "$out/html" "$out/plots"
rm -f "$out"/*.log "$out/prepare.failed" "$out/run.json" "$out/images.json" "$out/index.html"
mkdir -p "$out/executed" "$out/html"
.venv/bin/python -m dockerlab preflight
status=0
# Build every image first. A failure here is reported on the page, and the lessons still run:
# each builds what it needs, and the page shows which of them the failure stopped.
if ! .venv/bin/python -m dockerlab prepare 2>&1 | tee "$out/prepare.log"; then
    status=1
    touch "$out/prepare.failed"
fi
# One process runs every notebook in order, each in a fresh kernel (see scripts/headless.py).
.venv/bin/python scripts/headless.py --html "$out" notebooks/[0-9][0-9]-*.ipynb || status=1
# The images the run made, with their sizes, for the report.
.venv/bin/python -m dockerlab images --json >"$out/images.json" || rm -f "$out/images.json"
.venv/bin/python scripts/report_index.py "$out"
echo "tutorial: report at $out/index.html" >&2
exit $status
