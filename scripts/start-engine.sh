#!/usr/bin/env bash
# Make sure a Docker engine answers; start one on a Debian/Ubuntu host when none does.
#
#   scripts/start-engine.sh          # idempotent: does nothing when an engine answers
#
# When DOCKER_HOST is set, or the default socket answers, nothing is started. Otherwise, as root,
# Debian's docker.io package is installed if dockerd is missing, and dockerd is started detached
# with no bridge (machines without one, like CI sandboxes, cannot create it). Its log goes to
# ${DOCKERLAB_ENGINE_LOG:-/var/log/dockerlab-dockerd.log}.
set -euo pipefail

log=${DOCKERLAB_ENGINE_LOG:-/var/log/dockerlab-dockerd.log}
wait_seconds=${DOCKERLAB_ENGINE_WAIT:-60}

say() { printf 'start-engine: %s\n' "$*" >&2; }

answers() { docker info --format '{{.ServerVersion}}' >/dev/null 2>&1; }

if ! command -v docker >/dev/null 2>&1 && ! command -v dockerd >/dev/null 2>&1; then
  need_install=1
else
  need_install=0
fi

if [ "$need_install" = 0 ] && answers; then
  say "an engine already answers (server $(docker info --format '{{.ServerVersion}}')); nothing to do."
  exit 0
fi

if [ -n "${DOCKER_HOST:-}" ]; then
  say "DOCKER_HOST=$DOCKER_HOST does not answer. Start the engine it points to, or unset DOCKER_HOST."
  exit 1
fi

case "$(uname -s)" in
  Linux) ;;
  *) say "no engine answers. On macOS or Windows, start Docker Desktop and run this again."; exit 1 ;;
esac

if [ "$(id -u)" != 0 ]; then
  say "no engine answers and starting one needs root. Run: sudo systemctl start docker"
  say "(or: sudo $0)"
  exit 1
fi

if ! command -v dockerd >/dev/null 2>&1; then
  if ! command -v apt-get >/dev/null 2>&1; then
    say "dockerd is not installed and this is not a Debian/Ubuntu host: install Docker Engine first."
    exit 1
  fi
  say "installing Debian's docker.io package ..."
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io >/dev/null
fi

# A systemd host starts the engine the ordinary way.
if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
  if systemctl start docker 2>/dev/null; then
    for _ in $(seq "$wait_seconds"); do answers && break; sleep 1; done
    if answers; then say "started docker.service."; exit 0; fi
  fi
fi

# A dockerd that was killed leaves its pid file behind, and the next start fails on it.
if [ -f /var/run/docker.pid ] && ! kill -0 "$(cat /var/run/docker.pid)" 2>/dev/null; then
  say "removing stale /var/run/docker.pid (its process is gone)."
  rm -f /var/run/docker.pid
fi
# Same for containerd's socket left by a killed engine.
if [ -S /run/containerd/containerd.sock ] && ! pgrep -x containerd >/dev/null 2>&1; then
  rm -f /run/containerd/containerd.sock
fi

# No bridge: sandboxes and CI machines cannot create one. Builds that need the network use the
# host's (dockerlab decides that from the engine), and containers run with no network.
bridge_flags=(--bridge=none --iptables=false --ip-masq=false)

mkdir -p "$(dirname "$log")"
say "starting dockerd ${bridge_flags[*]} (log: $log) ..."
setsid dockerd "${bridge_flags[@]}" >>"$log" 2>&1 < /dev/null &

for _ in $(seq "$wait_seconds"); do
  if answers; then
    say "engine $(docker info --format '{{.ServerVersion}}') answers on /var/run/docker.sock."
    exit 0
  fi
  sleep 1
done

say "dockerd did not answer within ${wait_seconds}s. The end of its log ($log):"
tail -n 25 "$log" >&2 || true
exit 1
