#!/usr/bin/env bash
# Set up this machine for the tutorial: system packages (Debian/Ubuntu, as root), a venv with the
# pinned Python packages, and a running Docker engine. Safe to run again: it skips what is done.
#
#   scripts/setup.sh          # what a learner needs
#   scripts/setup.sh --dev    # plus the test-only tools (browser test, dive, hadolint)
set -euo pipefail
cd "$(dirname "$0")/.."

dev=0
[ "${1:-}" = "--dev" ] && dev=1
say() { printf 'setup: %s\n' "$*" >&2; }

# System packages: the engine, debootstrap (offline bases), Go (calculator tests on the host),
# and Chromium for the browser test. Only on Debian/Ubuntu as root; elsewhere, say what is missing.
# (start-engine.sh installs the engine itself when it has to start one.)
need=()
command -v debootstrap >/dev/null 2>&1 || need+=(debootstrap)
if [ "$dev" = 1 ]; then
  command -v go >/dev/null 2>&1 || need+=(golang-go)
  command -v chromium >/dev/null 2>&1 || need+=(chromium)
fi
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing ${need[*]} ..."
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else
    say "missing: ${need[*]}. Install them with your package manager (or Docker Desktop), then run this again."
  fi
fi

# Python packages, pinned, in .venv.
python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  say "creating .venv ..."
  "$python" -m venv .venv
fi
reqs=requirements.txt
[ "$dev" = 1 ] && reqs=requirements-dev.txt
stamp=.venv/.installed-$(cat requirements*.txt pyproject.toml | sha256sum | cut -c1-16)-$dev
if [ ! -f "$stamp" ]; then
  say "installing $reqs into .venv ..."
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -r "$reqs"
  .venv/bin/python -m pip install -q --no-deps -e .
  .venv/bin/python -c "import matplotlib.pyplot"  # builds matplotlib's font cache once, not in a lesson
  touch "$stamp"
fi

# BuildKit with a session (lesson 09's secrets, and any BuildKit build on the containerd image
# store) needs a docker CLI with the buildx plugin. Debian 13 and Ubuntu package it; Debian 12
# does not, so the tests take Debian 13's plugin, fetched by second-engine.sh, and link it where
# every docker CLI looks for plugins.
if [ "$dev" = 1 ] && [ "$(id -u)" = 0 ] && command -v docker >/dev/null 2>&1 && ! docker buildx version >/dev/null 2>&1; then
  if apt-cache show docker-buildx >/dev/null 2>&1; then
    say "installing docker-buildx ..."
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-buildx >/dev/null
  else
    prefix=$(scripts/second-engine.sh fetch)
    plugin=$prefix/usr/libexec/docker/cli-plugins/docker-buildx
    if [ -x "$plugin" ]; then
      mkdir -p /usr/local/lib/docker/cli-plugins
      ln -sf "$plugin" /usr/local/lib/docker/cli-plugins/docker-buildx
      say "docker buildx: $(docker buildx version 2>&1 | head -n1)"
    else
      say "no docker-buildx plugin in $prefix: BuildKit builds that need a session will use an older CLI or fail."
    fi
  fi
fi

# The engine.
if [ "$(id -u)" = 0 ]; then
  scripts/start-engine.sh
else
  docker info >/dev/null 2>&1 || sudo scripts/start-engine.sh
fi
say "ready."
