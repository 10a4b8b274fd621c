#!/usr/bin/env bash
# Run every test: dockerlab's unit and engine tests, the calculator's Go tests, the drills, the
# browser test, and every notebook under nbval in strict mode. Sets the machine up first.
#
#   scripts/test.sh              # everything
#   scripts/test.sh -k layers    # extra arguments go to pytest
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --dev
export PYTHONWARNINGS=${PYTHONWARNINGS:-}
exec .venv/bin/python -m pytest tests notebooks \
  --nbval --nbval-current-env --nbval-sanitize-with notebooks/sanitize.cfg \
  --nbval-cell-timeout 1800 -p no:cacheprovider -ra "$@"
