#!/usr/bin/env bash
# Run every test: dockerlab's unit and engine tests, the calculator's Go tests, the drills, and
# every notebook under nbval in strict mode, with a learner in JupyterLab in Chromium running every
# lesson beside that nbval run (tests/test_drills.py). Sets the machine up first.
#
#   scripts/test.sh              # everything, on two engines
#   scripts/test.sh -k layers    # extra arguments go to pytest (every run)
#
# First run: the host's engine, everything. Second run: another engine beside it
# (scripts/second-engine.sh: Debian 13's Docker 26 with the containerd image store on a Debian 12
# host, Debian 12's Docker 20.10 with the classic store on a Debian 13 host), every notebook under
# nbval, from the same committed outputs, and the engine tests whose answer depends on the image
# store (STORE_SENSITIVE in tests/conftest.py), every variant by both builders included.
# DOCKERLAB_SECOND_ENGINE=0
# skips the second run; DOCKER_HOST set by the caller runs the first run there and skips it too.
# The two engines share the two cores in three phases, never with both running notebooks: both
# at once overloaded them (on 2026-12-02 the run queue reached 10, and nbval's kernel for the
# second run's first notebook "didn't respond in 60 seconds"). So:
#   1. the tests of tests/, on both engines at once (the host's leave a core mostly idle);
#   2. the host's notebooks, with the drill's learner in Chromium beside nbval, and on the second
#      engine only builds of the toolchains its phase 3 would install cold (tests/toolchains.py);
#   3. the second engine's notebooks, then its every-variant test, beside the host's every-variant.
# Tried on 2026-12-03 from fresh clones, and slower: both whole runs at once, the second engine
# niced (nice -n 10, daemon included), 3025 s against 2547 s for the phases; the phases with the
# second engine's every variant niced beside the host's notebooks, phase 2 980 s for the host (567
# alone) and 1188 s for that test (369 after the notebooks). The cores are busy in every phase
# (on the containerd store, containerd spends about 60 s of one core committing a cold Go
# install's layer), and sharing them costs more than it saves.
# The second engine's runs go from a copy of the tree (lesson 01 writes its calculator/), with
# pytest temp folders of their own, logged to output/ and printed when each phase ends.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --dev
export PYTHONWARNINGS=${PYTHONWARNINGS:-}
pytest=(.venv/bin/python -m pytest -p no:cacheprovider -ra --durations=15)
nbval=(--nbval --nbval-current-env --nbval-sanitize-with notebooks/sanitize.cfg --nbval-cell-timeout 1800)
say() { printf 'test: %s\n' "$*" >&2; }

# The toolchains' installs (golang-go, Python's build tools): the first session's engine tests
# build them once per engine and keep them, tagged under this prefix, for the sessions after it,
# the notebooks' first of all (tests/conftest.py, TOOLCHAINS). They are removed when the run ends.
export DOCKERLAB_TOOLCHAINS_PREFIX=dockerlab-run-toolchains/
second= server=
clean_toolchains() { DOCKERLAB_PREFIX=$DOCKERLAB_TOOLCHAINS_PREFIX .venv/bin/python -m dockerlab clean >/dev/null 2>&1 || true; }
finish() {
  [ -z "$server" ] || kill "$server" 2>/dev/null || true
  clean_toolchains
  if [ -n "$second" ]; then DOCKER_HOST=$second clean_toolchains; scripts/second-engine.sh stop; fi
}
trap finish EXIT

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
  for _ in $(seq 100); do grep -q '^Serving' "$kit_dir/serve.log" && break; sleep 0.2; done
  url=$(sed -n 's/^Serving .* at \(http:[^,]*\), from.*/\1/p' "$kit_dir/serve.log")
  [ -n "$url" ] || { cat "$kit_dir/serve.log" >&2; say "the kit's package cache did not start."; exit 1; }
  export DOCKERLAB_APT_PROXY=$url
  say "kit: saved in $saved s ($(du -m "$kit_dir/kit.tar" | cut -f1) MB of images, $(du -m "$kit_dir/kit.packages.tar" | cut -f1) MB of packages), loaded in $loaded s, served offline at $url."
fi

status=0
# A phase's exit status joins the run's; 5 (nothing selected) is fine when extra arguments select.
join() { [ "$1" = 0 ] || { [ "$1" = 5 ] && [ $# -gt 1 ]; } || status=$1; }
host_pytest() { DOCKERLAB_TOOLCHAINS="go python" "${pytest[@]}" --basetemp="${TMPDIR:-/tmp}/dockerlab-pytest-host" "$@"; }
say_took() { say "$1: pytest exit $2 after $3 s${4:-}."; }
kit_note=${DOCKERLAB_APT_PROXY:+, every package from the kit}

if [ "${DOCKERLAB_SECOND_ENGINE:-1}" = 1 ] && [ -z "${DOCKER_HOST:-}" ] && [ "$(id -u)" = 0 ]; then
  second=$(scripts/second-engine.sh start | sed -n 's/^DOCKER_HOST=//p')
  # The Debian stand-in moves over as it is, rather than being bootstrapped twice.
  base=dockerlab/debian:bookworm-minbase
  if docker image inspect "$base" >/dev/null 2>&1 && ! DOCKER_HOST=$second docker image inspect "$base" >/dev/null 2>&1; then
    docker save "$base" | DOCKER_HOST=$second docker load -q >&2
  fi
  tree=$PWD/output/second-engine-tree
  rm -rf "$tree"
  PYTHONPATH=tests .venv/bin/python -c 'import sys, pathlib, learners; learners.checkout(pathlib.Path(sys.argv[1]))' "$tree"
fi

# The second engine's pytest, in its tree, to the mirror (not the kit), logged to output/. It keeps
# Go's toolchains only: its tests build no Python image, and keeping Python's would move their
# installs from phase 3, where a core is spare, into phase 1, which its tests lead.
second_pytest() {
  local phase=$1; shift
  local log=$PWD/output/second-engine-$phase.log started=$SECONDS code=0
  (cd "$tree" && env -u DOCKERLAB_APT_PROXY -u DOCKERLAB_APT_CACHE DOCKER_HOST="$second" DOCKERLAB_TOOLCHAINS=go \
     DOCKERLAB_ENGINE_TESTS_ONLY=1 PYTHONPATH="$tree" "$main/${pytest[0]}" "${pytest[@]:1}" \
     --basetemp="${TMPDIR:-/tmp}/dockerlab-pytest-second-$phase" "$@") > "$log" 2>&1 || code=$?
  say_took "second engine ($second), $phase" "$code" "$((SECONDS - started))" 2>> "$log"
  return "$code"
}
# Waits for the second engine's phase in the background, then prints its log whole, after the host's.
wait_second() {
  local code=0
  wait "$second_job" || code=$?
  cat "$PWD/output/second-engine-$1.log" >&2
  join "$code" "${@:2}"
}

if [ -z "$second" ]; then
  started=$SECONDS
  code=0; host_pytest tests notebooks "${nbval[@]}" "$@" || code=$?
  join "$code" "$@"; say_took "host engine" "$code" "$((SECONDS - started))" "$kit_note"
  exit $status
fi

main=$PWD last=tests/test_every_variant.py drill=tests/test_drills.py
say "phase 1: the tests of tests/ on both engines at once."
second_pytest tests tests --ignore="$last" "$@" & second_job=$!
started=$SECONDS
code=0; host_pytest tests --ignore="$last" --ignore="$drill" "$@" || code=$?
join "$code" "$@"; say_took "host engine, tests" "$code" "$((SECONDS - started))" "$kit_note"
wait_second tests "$@"

say "phase 2: the host's notebooks, and the drill's learner beside them; the second engine's toolchains."
# The installs its phase 3 would otherwise run cold, built while it is idle: Python's (lesson 08),
# bad-order's (lesson 05), and BuildKit's single-stage ones (every variant). Its notebooks'
# deliberately cold builds (nocache, and bad-order after an edit) are not among them.
second_toolchains() {
  local started=$SECONDS code=0
  (cd "$tree" && env -u DOCKERLAB_APT_PROXY -u DOCKERLAB_APT_CACHE DOCKER_HOST="$second" \
     DOCKERLAB_PREFIX="$DOCKERLAB_TOOLCHAINS_PREFIX" PYTHONPATH="$tree" "$main/.venv/bin/python" tests/toolchains.py "$@") || code=$?
  say "second engine ($second), toolchains $*: exit $code after $((SECONDS - started)) s."
  return "$code"
}
warm_job=
if [ $# = 0 ]; then  # not for a run that extra arguments narrow
  second_toolchains python bad-order buildkit > output/second-engine-toolchains.log 2>&1 & warm_job=$!
fi
started=$SECONDS
code=0; host_pytest notebooks "$drill" "${nbval[@]}" --nbval-kernel-startup-timeout 300 "$@" || code=$?
join "$code" "$@"; say_took "host engine, notebooks" "$code" "$((SECONDS - started))" "$kit_note"
if [ -n "$warm_job" ]; then
  code=0; wait "$warm_job" || code=$?
  cat output/second-engine-toolchains.log >&2
  [ "$code" = 0 ] || status=$code
fi

say "phase 3: the second engine's notebooks and every variant, beside the host's every variant."
# nbval's kernel gets more than its default 60 s to start while the host's builds share the cores.
second_pytest notebooks notebooks "$last" "${nbval[@]}" --nbval-kernel-startup-timeout 300 "$@" & second_job=$!
started=$SECONDS
code=0; host_pytest "$last" "$@" || code=$?
join "$code" "$@"; say_took "host engine, every variant" "$code" "$((SECONDS - started))" "$kit_note"
wait_second notebooks "$@"
exit $status
