#!/usr/bin/env bash
# Run every test: dockerlab's unit and engine tests, the calculator's Go tests, the drills, and
# every notebook under nbval in strict mode, with a learner in JupyterLab in Chromium running every
# lesson beside that nbval run (tests/test_drills.py). Sets the machine up first.
#
#   scripts/test.sh              # everything, on two engines
#   scripts/test.sh -k layers    # extra arguments go to pytest (both runs)
#
# First run: the host's engine, everything. Second run: another engine beside it
# (scripts/second-engine.sh: Debian 13's Docker 26 with the containerd image store on a Debian 12
# host, Debian 12's Docker 20.10 with the classic store on a Debian 13 host), every notebook under
# nbval, from the same committed outputs, and the engine tests whose answer depends on the image
# store (STORE_SENSITIVE in tests/conftest.py), every variant by both builders included.
# DOCKERLAB_SECOND_ENGINE=0
# skips the second run; DOCKER_HOST set by the caller runs the first run there and skips it too.
# One after the other, not at the same time: both are bound by the two cores (the containerd
# image store spends much of its time compressing layers). Run together here on 2026-12-01, the
# host's run took 3240 s beside the second's, against 2149 s alone earlier that day. Tried again
# on 2026-12-02, with the second run in a checkout of its own: the run queue reached 10 on the two
# cores while both ran notebooks, and nbval's kernel for the second run's first notebook "didn't
# respond in 60 seconds", so that run was red; the whole run took about 3400 s against 3685 s.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --dev
export PYTHONWARNINGS=${PYTHONWARNINGS:-}
pytest=(.venv/bin/python -m pytest -p no:cacheprovider -ra --durations=15)
nbval=(--nbval --nbval-current-env --nbval-sanitize-with notebooks/sanitize.cfg --nbval-cell-timeout 1800)
say() { printf 'test: %s\n' "$*" >&2; }

# The workshop drill: the host's run builds with no network for its packages. A kit is saved
# (the bases, and every Debian package the Dockerfiles install, fetched once from the mirror),
# loaded, and served offline by apt-cacher-ng; every build of the run, with cache or without,
# gets its packages from it through DOCKERLAB_APT_PROXY, as a room does from its instructor's
# machine. The second engine's run goes to the mirror, as a learner at home does.
kit_dir=$PWD/output/kit
export DOCKERLAB_APT_CACHE=$kit_dir/apt-cache
if [ "${DOCKERLAB_KIT_DRILL:-1}" = 1 ] && [ -z "${DOCKERLAB_APT_PROXY:-}" ]; then
  rm -rf "$kit_dir" && mkdir -p "$kit_dir"
  .venv/bin/python -m dockerlab prepare --bases >&2
  started=$SECONDS
  .venv/bin/python -m dockerlab kit save "$kit_dir/kit.tar" >&2
  saved=$((SECONDS - started)); started=$SECONDS
  .venv/bin/python -m dockerlab kit load "$kit_dir/kit.tar" >&2
  loaded=$((SECONDS - started))
  .venv/bin/python -m dockerlab kit serve --port 0 > "$kit_dir/serve.log" 2>&1 &
  server=$!
  trap 'kill $server 2>/dev/null || true' EXIT
  for _ in $(seq 100); do grep -q '^Serving' "$kit_dir/serve.log" && break; sleep 0.2; done
  url=$(sed -n 's/^Serving .* at \(http:[^,]*\), from.*/\1/p' "$kit_dir/serve.log")
  [ -n "$url" ] || { cat "$kit_dir/serve.log" >&2; say "the kit's package cache did not start."; exit 1; }
  export DOCKERLAB_APT_PROXY=$url
  say "kit: saved in $saved s ($(du -m "$kit_dir/kit.tar" | cut -f1) MB of images, $(du -m "$kit_dir/kit.packages.tar" | cut -f1) MB of packages), loaded in $loaded s, served offline at $url."
fi

status=0
started=$SECONDS
"${pytest[@]}" tests notebooks "${nbval[@]}" "$@" || status=$?
say "host engine: pytest exit $status after $((SECONDS - started)) s${DOCKERLAB_APT_PROXY:+, every package from the kit}."
if [ -n "${server:-}" ]; then
  kill "$server" 2>/dev/null || true
  trap - EXIT
fi
unset DOCKERLAB_APT_PROXY

if [ "${DOCKERLAB_SECOND_ENGINE:-1}" = 1 ] && [ -z "${DOCKER_HOST:-}" ] && [ "$(id -u)" = 0 ]; then
  started=$SECONDS
  second=$(scripts/second-engine.sh start | sed -n 's/^DOCKER_HOST=//p')
  trap 'scripts/second-engine.sh stop' EXIT
  # The Debian stand-in moves over as it is, rather than being bootstrapped twice.
  base=dockerlab/debian:bookworm-minbase
  if docker image inspect "$base" >/dev/null 2>&1 && ! DOCKER_HOST=$second docker image inspect "$base" >/dev/null 2>&1; then
    docker save "$base" | DOCKER_HOST=$second docker load -q >&2
  fi
  second_status=0
  DOCKER_HOST=$second DOCKERLAB_ENGINE_TESTS_ONLY=1 "${pytest[@]}" tests notebooks "${nbval[@]}" "$@" || second_status=$?
  say "second engine ($second): pytest exit $second_status after $((SECONDS - started)) s."
  [ "$second_status" = 0 ] || status=$second_status
fi
exit $status
