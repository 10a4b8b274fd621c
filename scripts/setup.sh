#!/usr/bin/env bash
# Set up this machine for the tutorial: system packages (Debian/Ubuntu, as root), a venv with the
# pinned Python packages, and a running Docker engine. Safe to run again: it skips what is done and
# makes again what an interrupted run left half-made. It says "ready." only when the engine answers
# the user who will run the lessons; otherwise it says what to do and exits 1.
#
#   scripts/setup.sh          # what a learner needs
#   scripts/setup.sh --dev    # plus the test-only tools (browser test, dive, hadolint)
set -euo pipefail
cd "$(dirname "$0")/.."

dev=0
[ "${1:-}" = "--dev" ] && dev=1
say() { printf 'setup: %s\n' "$*" >&2; }

python=${PYTHON:-python3}
# Can `python -m venv` make a venv with pip? Debian and Ubuntu package ensurepip apart (python3-venv).
venv_works() { "$python" -c 'import ensurepip, venv' >/dev/null 2>&1; }
# Is .venv whole? Not when an earlier run left it half-made: no python, a python without pip, or
# an install that did not finish (it is marked .installing until its stamp is written).
venv_whole() {
  [ -x .venv/bin/python ] && .venv/bin/python -c 'import pip' >/dev/null 2>&1 &&
    [ ! -e .venv/.installing ] && compgen -G '.venv/.installed-*' >/dev/null
}

# System packages: the engine, debootstrap (offline bases), python3-venv when a venv must be made
# and cannot be, Go (calculator tests on the host), and Chromium for the browser test. Only on
# Debian/Ubuntu as root; elsewhere, say what is missing.
# (start-engine.sh installs the engine itself when it has to start one.)
need=()
command -v debootstrap >/dev/null 2>&1 || need+=(debootstrap)
venv_whole || venv_works || need+=(python3-venv)
if [ "$dev" = 1 ]; then
  command -v go >/dev/null 2>&1 || need+=(golang-go)
  command -v chromium >/dev/null 2>&1 || need+=(chromium)
fi
# apt-cacher-ng serves a workshop kit's packages (python -m dockerlab kit serve runs it in the
# foreground); CI's run of the host engine builds through it. Installed without starting the
# system's own daemon: a policy-rc.d that says no, for this install only, if there is none.
[ "$dev" = 1 ] && [ ! -x /usr/sbin/apt-cacher-ng ] && need+=(apt-cacher-ng)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing ${need[*]} ..."
    apt-get update -qq
    policy=
    if [ ! -e /usr/sbin/policy-rc.d ]; then
      policy=/usr/sbin/policy-rc.d
      printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod +x "$policy"
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null || { [ -n "$policy" ] && rm -f "$policy"; exit 1; }
    [ -n "$policy" ] && rm -f "$policy"
  else
    say "missing: ${need[*]}. Install them with your package manager (or Docker Desktop), then run this again."
  fi
fi

# Python packages, pinned, in .venv; a half-made one is made again, not left to fail in pip.
if ! venv_whole; then
  if ! venv_works; then
    say "$python -m venv cannot make a venv with pip here (no ensurepip). On Debian/Ubuntu install" \
        "python3-venv (sudo apt-get install python3-venv, or run this script as root), then run this again."
    exit 1
  fi
  if [ -e .venv ] || [ -L .venv ]; then
    say "removing a half-made .venv ..."
    rm -rf .venv
  fi
  say "creating .venv ..."
  "$python" -m venv .venv
fi
reqs=requirements.txt
[ "$dev" = 1 ] && reqs=requirements-dev.txt
stamp=.venv/.installed-$(cat requirements*.txt pyproject.toml | sha256sum | cut -c1-16)-$dev
if [ ! -f "$stamp" ]; then
  say "installing $reqs into .venv ..."
  touch .venv/.installing
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -r "$reqs"
  .venv/bin/python -m pip install -q --no-deps -e .
  .venv/bin/python -c "import matplotlib.pyplot"  # builds matplotlib's font cache once, not in a lesson
  touch "$stamp"
  rm -f .venv/.installing
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

# The engine: started when none answers (not when DOCKER_HOST names one: that one is the user's),
# then asked as the user who will run the lessons (the one behind sudo, when run with sudo).
if [ "$(id -u)" = 0 ]; then
  scripts/start-engine.sh || true  # it says why it failed; the question below decides
elif [ -z "${DOCKER_HOST:-}" ] && ! docker info >/dev/null 2>&1 && command -v sudo >/dev/null 2>&1; then
  sudo scripts/start-engine.sh || true
fi
learner=${SUDO_USER:-$(id -un)}
as_learner() {
  if [ "$(id -u)" = 0 ] && [ "$learner" != root ]; then
    sudo -u "$learner" ${DOCKER_HOST:+env "DOCKER_HOST=$DOCKER_HOST"} "$@"
  else
    "$@"
  fi
}
if ! command -v docker >/dev/null 2>&1; then
  say "there is no docker command. Install Docker (Docker Desktop, or as root scripts/start-engine.sh" \
      "installs Debian's docker.io), then run this again."
  exit 1
fi
if ! answer=$(as_learner docker info --format '{{.ServerVersion}}' 2>&1); then
  case "$answer" in
    *"permission denied"*)
      say "the engine does not let $learner in: ${answer%%$'\n'*}"
      say "add $learner to the docker group (sudo usermod -aG docker $learner), log out and in again" \
          "(or run newgrp docker), then run this again." ;;
    *)
      say "no Docker engine answers $learner: ${answer%%$'\n'*}"
      say "start it (sudo scripts/start-engine.sh on Linux, Docker Desktop on macOS or Windows)," \
          "then run this again." ;;
  esac
  exit 1
fi
say "the engine answers $learner."
say "ready."
