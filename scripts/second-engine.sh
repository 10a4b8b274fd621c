#!/usr/bin/env bash
# A second Docker engine beside the host's, from the other Debian release's packages, on its own
# socket, data root and containerd. CI runs the notebooks on both (see scripts/test.sh).
#
#   scripts/second-engine.sh start    # fetch (once), start; prints DOCKER_HOST=unix://...
#   scripts/second-engine.sh stop     # stop it and delete its data
#   scripts/second-engine.sh host     # print the DOCKER_HOST value (whether or not it runs)
#   scripts/second-engine.sh fetch    # only fetch and unpack the packages; prints their prefix
#                                     # (setup.sh --dev takes Debian 13's docker-buildx plugin from it)
#
# On a Debian 12 (bookworm) host the second engine is Debian 13's docker.io 26 with the
# containerd image store ("containerd-snapshotter"), the store Docker Desktop and new Engine
# installs use. On a Debian 13 (trixie) host it is Debian 12's docker.io 20.10 with the classic
# store. The packages come from the mirror the host's own apt sources name, through a private
# sources list used only by `apt-get download`: nothing is installed on the host. They are
# unpacked with `dpkg-deb -x` under $DOCKERLAB_ENGINES (default /var/cache/dockerlab/engines).
# Debian 13's runc needs glibc 2.38, which Debian 12 lacks, so the host's runc is used.
set -euo pipefail

root=${DOCKERLAB_ENGINES:-/var/cache/dockerlab/engines}
run=${DOCKERLAB_SECOND_ENGINE_RUN:-/var/lib/dockerlab-second-engine}
wait_seconds=${DOCKERLAB_ENGINE_WAIT:-60}
packages=(docker.io containerd tini)

say() { printf 'second-engine: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

host_suite() { . /etc/os-release; printf '%s' "${VERSION_CODENAME:-unknown}"; }

other_suite() {
  case "$(host_suite)" in
    bookworm) echo trixie ;;
    trixie) echo bookworm ;;
    *) die "this host is $(host_suite), not Debian 12 or 13: run the second engine by hand and set DOCKER_HOST." ;;
  esac
}

# The mirror of the host's own apt sources: deb822 (.sources) or one-line (.list) format.
mirror() {
  local uri
  uri=$(grep -hsE '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}' | grep -v security | head -n1 || true)
  [ -n "$uri" ] || uri=$(grep -hsE '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
                         | awk '{print $2}' | grep -v security | head -n1 || true)
  [ -n "$uri" ] || die "no Debian mirror found in /etc/apt/sources.list(.d): add one, or set DOCKER_HOST yourself."
  printf '%s' "$uri"
}

fetch() {
  local suite=$1 prefix=$2 work
  [ -x "$prefix/usr/sbin/dockerd" ] && return 0
  command -v apt-get >/dev/null || die "apt-get is needed to fetch Debian's $suite packages."
  work=$(mktemp -d)
  mkdir -p "$work/lists/partial" "$work/archives/partial" "$work/etc/preferences.d" "$work/etc/apt.conf.d"
  printf 'deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] %s %s main\n' "$(mirror)" "$suite" \
    > "$work/sources.list"
  local opts=(-o "Dir::Etc::SourceList=$work/sources.list" -o "Dir::Etc::SourceParts=/dev/null"
              -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work" -o "Dir::Etc::Preferences=/dev/null"
              -o "Dir::Etc::PreferencesParts=$work/etc/preferences.d" -o "APT::Architecture=$(dpkg --print-architecture)" -o "APT::Sandbox::User=root")
  local wanted=("${packages[@]}")
  [ "$suite" = trixie ] && wanted+=(docker-buildx)  # Debian 12 has no docker-buildx package
  say "fetching Debian $suite's ${wanted[*]} ..."
  apt-get "${opts[@]}" -qq update
  (cd "$work" && apt-get "${opts[@]}" -qq download "${wanted[@]}")
  mkdir -p "$prefix.partial"
  for deb in "$work"/*.deb; do dpkg-deb -x "$deb" "$prefix.partial"; done
  rm -rf "$prefix" && mv "$prefix.partial" "$prefix"
  rm -rf "$work"
}

# A folder of the programs dockerd looks up on PATH: the fetched ones, and the host's runc where
# the fetched runc cannot run on this glibc.
bin_dir() {
  local prefix=$1 bin=$1/dockerlab-bin
  mkdir -p "$bin"
  for tool in dockerd containerd containerd-shim-runc-v2 docker-proxy; do
    for dir in usr/sbin usr/bin; do
      [ -x "$prefix/$dir/$tool" ] && ln -sf "$prefix/$dir/$tool" "$bin/$tool" && break
    done
  done
  [ -x "$prefix/usr/bin/tini-static" ] && ln -sf "$prefix/usr/bin/tini-static" "$bin/docker-init"
  if [ -x "$prefix/usr/sbin/runc" ] && "$prefix/usr/sbin/runc" --version >/dev/null 2>&1; then
    ln -sf "$prefix/usr/sbin/runc" "$bin/runc"
  else
    command -v runc >/dev/null || die "the fetched runc cannot run here and the host has none: apt-get install runc"
    ln -sf "$(command -v runc)" "$bin/runc"
  fi
  printf '%s' "$bin"
}

host_value() { printf 'unix://%s/docker.sock' "$run"; }

answers() { DOCKER_HOST=$(host_value) docker info --format '{{.ServerVersion}}' >/dev/null 2>&1; }

start() {
  [ "$(id -u)" = 0 ] || die "starting a second engine needs root."
  if answers; then say "already running."; echo "DOCKER_HOST=$(host_value)"; return 0; fi
  local suite prefix bin config
  suite=$(other_suite)
  prefix=$root/$suite
  fetch "$suite" "$prefix"
  bin=$(bin_dir "$prefix")
  # A killed engine leaves its pid file and sockets: start clean.
  stop_quietly
  mkdir -p "$run"
  case "$suite" in
    trixie) config='{"features": {"containerd-snapshotter": true}}' ;;
    *) config='{}' ;;
  esac
  printf '%s\n' "$config" > "$run/daemon.json"
  say "starting Debian $suite's dockerd ($config) on $(host_value) ..."
  PATH="$bin:$PATH" setsid "$bin/dockerd" \
    --data-root "$run/data" --exec-root "$run/exec" --pidfile "$run/docker.pid" \
    -H "$(host_value)" --config-file "$run/daemon.json" \
    --containerd-namespace dockerlab-second --containerd-plugins-namespace dockerlab-second-plugins \
    --bridge=none --iptables=false --ip-masq=false \
    >"$run/dockerd.log" 2>&1 </dev/null &
  for _ in $(seq "$wait_seconds"); do
    if answers; then
      say "engine $(DOCKER_HOST=$(host_value) docker info --format '{{.ServerVersion}} ({{.Driver}})') answers."
      echo "DOCKER_HOST=$(host_value)"
      return 0
    fi
    sleep 1
  done
  say "dockerd did not answer within ${wait_seconds}s. The end of its log ($run/dockerd.log):"
  tail -n 25 "$run/dockerd.log" >&2 || true
  exit 1
}

# Stop dockerd (it stops its containers and its containerd), end what is left of it, undo its
# mounts, delete its data.
stop_quietly() {
  [ -d "$run" ] || return 0
  if [ -f "$run/docker.pid" ] && kill -0 "$(cat "$run/docker.pid")" 2>/dev/null; then
    local pid; pid=$(cat "$run/docker.pid")
    kill "$pid"
    for _ in $(seq 60); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  for proc in /proc/[0-9]*; do
    if tr '\0' ' ' 2>/dev/null < "$proc/cmdline" | grep -q -- "$run/"; then kill -9 "${proc#/proc/}" 2>/dev/null || true; fi
  done
  awk -v r="$run" '$5 == r || index($5, r "/") == 1 {print $5}' /proc/self/mountinfo | sort -r |
    while read -r point; do umount -l "$point" 2>/dev/null || true; done
  rm -rf "$run"
}

case "${1:-}" in
  start) start ;;
  stop) stop_quietly; say "stopped." ;;
  host) host_value; echo ;;
  fetch) suite=$(other_suite); fetch "$suite" "$root/$suite"; echo "$root/$suite" ;;
  *) die "usage: $0 start|stop|host|fetch" ;;
esac
