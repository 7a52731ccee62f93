#!/usr/bin/env bash
# Starts, stops or reports on a 3-member etcd cluster on loopback for ae-sync's
# demo (`npm run demo -- --etcd 127.0.0.1:23791,127.0.0.1:23792,127.0.0.1:23793`).
# Client ports 23791-23793, peer ports 23801-23803, data in a temp dir. Members
# are tracked by PID files and stopped by PID only.
#
#   scripts/etcd-cluster.sh start    # start and wait (bounded) until healthy
#   scripts/etcd-cluster.sh status   # one line per member
#   scripts/etcd-cluster.sh stop     # stop by PID, remove the data dir
#
# Environment: ETCD_BIN (default /usr/bin/etcd, else etcd on PATH),
# AE_SYNC_ETCD_DIR (state dir; default ${TMPDIR:-/tmp}/ae-sync-etcd-cluster),
# ETCD_START_TIMEOUT (seconds, default 20).
set -euo pipefail

STATE_DIR="${AE_SYNC_ETCD_DIR:-${TMPDIR:-/tmp}/ae-sync-etcd-cluster}"
START_TIMEOUT="${ETCD_START_TIMEOUT:-20}"
NAMES=(m1 m2 m3)
CLIENT_PORTS=(23791 23792 23793)
PEER_PORTS=(23801 23802 23803)
INITIAL_CLUSTER="m1=http://127.0.0.1:23801,m2=http://127.0.0.1:23802,m3=http://127.0.0.1:23803"

find_etcd() {
  if [[ -n "${ETCD_BIN:-}" ]]; then echo "$ETCD_BIN"; return; fi
  if [[ -x /usr/bin/etcd ]]; then echo /usr/bin/etcd; return; fi
  command -v etcd || true
}

pid_of() { cat "$STATE_DIR/$1.pid" 2>/dev/null || true; }

# True when the PID file names a live process that is an etcd.
running() {
  local pid; pid="$(pid_of "$1")"
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null && grep -q etcd "/proc/$pid/cmdline" 2>/dev/null
}

healthy() {
  curl -fsS --max-time 1 "http://127.0.0.1:$1/health" 2>/dev/null | grep -q '"health":"true"'
}

start() {
  local etcd; etcd="$(find_etcd)"
  if [[ -z "$etcd" || ! -x "$etcd" ]]; then
    echo "etcd not found: install it with 'apt-get install -y etcd-server' or set ETCD_BIN" >&2
    exit 1
  fi
  mkdir -p "$STATE_DIR"
  local state=new
  [[ -d "$STATE_DIR/data/m1" ]] && state=existing
  for i in 0 1 2; do
    local name="${NAMES[$i]}" cport="${CLIENT_PORTS[$i]}" pport="${PEER_PORTS[$i]}"
    if running "$name"; then echo "$name already running (pid $(pid_of "$name"))"; continue; fi
    if (exec 3<>"/dev/tcp/127.0.0.1/$cport") 2>/dev/null; then
      echo "port $cport is already in use by another process; not starting $name" >&2
      exit 1
    fi
    nohup "$etcd" --name "$name" --data-dir "$STATE_DIR/data/$name" \
      --listen-client-urls "http://127.0.0.1:$cport" --advertise-client-urls "http://127.0.0.1:$cport" \
      --listen-peer-urls "http://127.0.0.1:$pport" --initial-advertise-peer-urls "http://127.0.0.1:$pport" \
      --initial-cluster "$INITIAL_CLUSTER" --initial-cluster-state "$state" \
      --initial-cluster-token ae-sync-demo --log-level warn \
      >"$STATE_DIR/$name.log" 2>&1 &
    echo $! >"$STATE_DIR/$name.pid"
    echo "started $name pid $! client 127.0.0.1:$cport peer 127.0.0.1:$pport"
  done
  local deadline=$((SECONDS + START_TIMEOUT))
  while (( SECONDS < deadline )); do
    local ok=0
    for port in "${CLIENT_PORTS[@]}"; do healthy "$port" && ok=$((ok + 1)); done
    if (( ok == 3 )); then
      echo "cluster healthy: 127.0.0.1:23791,127.0.0.1:23792,127.0.0.1:23793 (data in $STATE_DIR)"
      return 0
    fi
    sleep 0.3
  done
  echo "cluster not healthy after ${START_TIMEOUT}s; logs in $STATE_DIR/*.log" >&2
  status >&2 || true
  exit 1
}

stop() {
  for name in "${NAMES[@]}"; do
    local pid; pid="$(pid_of "$name")"
    if running "$name"; then
      kill -CONT "$pid" 2>/dev/null || true # a frozen member cannot handle SIGTERM
      kill -TERM "$pid"
      local deadline=$((SECONDS + 5))
      while kill -0 "$pid" 2>/dev/null && (( SECONDS < deadline )); do sleep 0.1; done
      if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid"; echo "killed $name (pid $pid)"; else echo "stopped $name (pid $pid)"; fi
    else
      echo "$name not running"
    fi
    rm -f "$STATE_DIR/$name.pid"
  done
  rm -rf "$STATE_DIR/data"
  rm -f "$STATE_DIR"/*.log
  rmdir "$STATE_DIR" 2>/dev/null || true
}

status() {
  local up=0
  for i in 0 1 2; do
    local name="${NAMES[$i]}" port="${CLIENT_PORTS[$i]}"
    if running "$name"; then
      if healthy "$port"; then echo "$name pid $(pid_of "$name") 127.0.0.1:$port healthy"; up=$((up + 1));
      else echo "$name pid $(pid_of "$name") 127.0.0.1:$port running, not healthy"; fi
    else
      echo "$name 127.0.0.1:$port down"
    fi
  done
  (( up == 3 ))
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
