#!/usr/bin/env bash
# Run every test: dockerlab's unit and engine tests, the calculator's Go tests, the drills, and
# every notebook under nbval in strict mode, with a learner in JupyterLab in Chromium running every
# lesson beside that nbval run (tests/test_drills.py). Sets the machine up first.
#
#   scripts/test.sh              # everything, on two engines
#   scripts/test.sh -k layers    # extra arguments go to pytest (both runs)
#
# Two runs at once. On the host's engine: everything. On another engine beside it
# (scripts/second-engine.sh: Debian 13's Docker 26 with the containerd image store on a Debian 12
# host, Debian 12's Docker 20.10 with the classic store on a Debian 13 host): every notebook under
# nbval, from the same committed outputs, and the engine tests whose answer depends on the image
# store (STORE_SENSITIVE in tests/conftest.py), every variant by both builders included.
# DOCKERLAB_SECOND_ENGINE=0 skips the second run; DOCKER_HOST set by the caller runs the first run
# there and skips it too. The second run works in a copy of the checkout, as the drill's learners
# do (lesson 01 writes calculator/), and its output is printed when it ends.
# Why at once: one after the other on 2 cores (on 2026-12-02) the host's run took 1701 s and the
# second's 1705 s, and the host's CPU was 35-45% idle outside its notebooks (its engine tests wait
# on one container or one Python process at a time), time the second run can use.
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
  trap 'kill $server 2>/dev/null || true' EXIT  # until the second run's cleanup takes over
  for _ in $(seq 100); do grep -q '^Serving' "$kit_dir/serve.log" && break; sleep 0.2; done
  url=$(sed -n 's/^Serving .* at \(http:[^,]*\), from.*/\1/p' "$kit_dir/serve.log")
  [ -n "$url" ] || { cat "$kit_dir/serve.log" >&2; say "the kit's package cache did not start."; exit 1; }
  export DOCKERLAB_APT_PROXY=$url
  say "kit: saved in $saved s ($(du -m "$kit_dir/kit.tar" | cut -f1) MB of images, $(du -m "$kit_dir/kit.packages.tar" | cut -f1) MB of packages), loaded in $loaded s, served offline at $url."
fi

# The second engine starts first, from the host's base, and runs beside the host's run.
second_pid=
cleanup() {
  [ -n "${server:-}" ] && kill "$server" 2>/dev/null
  if [ -n "$second_pid" ]; then kill -- "-$second_pid" 2>/dev/null; wait "$second_pid" 2>/dev/null; fi
  [ -n "${second:-}" ] && scripts/second-engine.sh stop
  [ -n "${second_dir:-}" ] && rm -rf "$second_dir"
  return 0
}
trap cleanup EXIT
if [ "${DOCKERLAB_SECOND_ENGINE:-1}" = 1 ] && [ -z "${DOCKER_HOST:-}" ] && [ "$(id -u)" = 0 ]; then
  second=$(scripts/second-engine.sh start | sed -n 's/^DOCKER_HOST=//p')
  # The Debian stand-in moves over as it is, rather than being bootstrapped twice.
  base=dockerlab/debian:bookworm-minbase
  if docker image inspect "$base" >/dev/null 2>&1 && ! DOCKER_HOST=$second docker image inspect "$base" >/dev/null 2>&1; then
    docker save "$base" | DOCKER_HOST=$second docker load -q >&2
  fi
  second_dir=$(mktemp -d /var/tmp/dockerlab-second-XXXXXX)
  .venv/bin/python -c 'import sys; sys.path.insert(0, "tests"); import learners; learners.checkout(__import__("pathlib").Path(sys.argv[1]))' "$second_dir/tree"
  # Its own checkout (PYTHONPATH: its dockerlab), its own output and pytest folders, the mirror for
  # its packages (no kit proxy, as a learner at home), and a process group of its own to stop.
  (
    cd "$second_dir/tree"
    exec env -u DOCKERLAB_APT_PROXY -u DOCKERLAB_APT_CACHE DOCKER_HOST="$second" PYTHONPATH="$PWD" \
      DOCKERLAB_ENGINE_TESTS_ONLY=1 setsid "$OLDPWD/.venv/bin/python" -m pytest -p no:cacheprovider -ra --durations=15 \
      --basetemp "$second_dir/pytest" tests notebooks "${nbval[@]}" "$@"
  ) > "$second_dir/log" 2>&1 &
  second_pid=$!
  say "second engine ($second): started beside the host's run; its output follows the host's."
fi

status=0
started=$SECONDS
"${pytest[@]}" tests notebooks "${nbval[@]}" "$@" || status=$?
say "host engine: pytest exit $status after $((SECONDS - started)) s${DOCKERLAB_APT_PROXY:+, every package from the kit}."
if [ -n "${server:-}" ]; then kill "$server" 2>/dev/null || true; server=; fi

if [ -n "$second_pid" ]; then
  second_status=0
  wait "$second_pid" || second_status=$?
  second_pid=
  cat "$second_dir/log"
  say "second engine ($second): pytest exit $second_status after $((SECONDS - started)) s, beside the host's run."
  [ "$second_status" = 0 ] || status=$second_status
fi
exit $status
