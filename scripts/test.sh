#!/usr/bin/env bash
# Run every test: dockerlab's unit and engine tests, the calculator's Go tests, the drills, the
# browser test, and every notebook under nbval in strict mode. Sets the machine up first.
#
#   scripts/test.sh              # everything, on two engines
#   scripts/test.sh -k layers    # extra arguments go to pytest (both runs)
#
# Two runs, at the same time: the host's engine, everything; and another engine beside it
# (scripts/second-engine.sh: Debian 13's Docker 26 with the containerd image store on a Debian 12
# host, Debian 12's Docker 20.10 with the classic store on a Debian 13 host), every notebook under
# nbval and dockerlab's engine tests, from the same committed outputs. They run together because
# each waits on its engine, the mirror and its kernels for much of its time, and the machine has
# two cores: one run after the other took 4448 s in CI. The second run works in a copy of the
# checkout (lessons write files, such as lesson 01's calculator/, which two runs in one folder
# would write at once); its lines are prefixed "[second] ". DOCKERLAB_SECOND_ENGINE=0 skips it;
# DOCKER_HOST set by the caller runs the first run there and skips it too.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --dev
export PYTHONWARNINGS=${PYTHONWARNINGS:-}
pytest=(.venv/bin/python -m pytest -p no:cacheprovider -ra -v --durations=15)  # -v: a line per test, so the two runs' lines do not cut each other
nbval=(--nbval --nbval-current-env --nbval-sanitize-with notebooks/sanitize.cfg --nbval-cell-timeout 1800)
say() { printf 'test: %s\n' "$*" >&2; }

second_pid=
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ "${DOCKERLAB_SECOND_ENGINE:-1}" = 1 ] && [ -z "${DOCKER_HOST:-}" ] && [ "$(id -u)" = 0 ]; then
  started=$SECONDS
  second=$(scripts/second-engine.sh start | sed -n 's/^DOCKER_HOST=//p')
  trap 'scripts/second-engine.sh stop; rm -rf "$work"' EXIT
  # The Debian stand-in is made once, on the host, and moved over as it is.
  .venv/bin/python -m dockerlab prepare --bases >&2
  base=dockerlab/debian:bookworm-minbase
  if docker image inspect "$base" >/dev/null 2>&1 && ! DOCKER_HOST=$second docker image inspect "$base" >/dev/null 2>&1; then
    docker save "$base" | DOCKER_HOST=$second docker load -q >&2
  fi
  tar --exclude=./.venv --exclude=./.git --exclude=./output -cf - . | (mkdir "$work/checkout" && tar -xf - -C "$work/checkout")
  python=$PWD/.venv/bin/python
  (
    cd "$work/checkout"
    code=0
    DOCKER_HOST=$second DOCKERLAB_ENGINE_TESTS_ONLY=1 PYTHONPATH=$PWD "$python" "${pytest[@]:1}" tests notebooks "${nbval[@]}" "$@" || code=$?
    say "second engine ($second): pytest exit $code after $((SECONDS - started)) s."
    echo "$code" > "$work/second-status"
  ) 2>&1 | sed -u 's/^/[second] /' &
  second_pid=$!
fi

status=0
started=$SECONDS
"${pytest[@]}" tests notebooks "${nbval[@]}" "$@" || status=$?
say "host engine: pytest exit $status after $((SECONDS - started)) s."

if [ -n "$second_pid" ]; then
  wait "$second_pid" || true
  code=$(cat "$work/second-status" 2>/dev/null || echo 1)
  [ "${code:-1}" = 0 ] || status=${code:-1}
fi
exit $status
