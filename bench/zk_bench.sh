#!/usr/bin/env bash
# Run /work/shared/bench/zkbench.py against odradek zk and Apache ZooKeeper 3.8 (standalone),
# same zoo.cfg settings, same client, alternating servers per repetition (ABBA order).
#   bench/zk_bench.sh [REPS] [extra zkbench args...]      (SKIP_KAZOO=1: raw-client part only)
# Writes JSON lines to bench/zk_results-standalone.jsonl (zkbench.py, kazoo) and
# bench/zk_results-raw.jsonl (bench/zk_raw_bench.py), and prints the summary tables.
set -euo pipefail
cd "$(dirname "$0")/.."
REPS=${1:-3}; shift || true
PY=${PY:-.venv/bin/python}
BENCH=${ZKBENCH:-/work/shared/bench/zkbench.py}
BASE=$(mktemp -d /tmp/zkbench.XXXXXX)
OUT=${OUT:-bench/zk_results-standalone.jsonl}

[ -n "${SKIP_KAZOO:-}" ] || : >"$OUT"
port() { "$PY" -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
cfg() {  # $1 dir $2 port
  mkdir -p "$1/data"
  cat >"$1/zoo.cfg" <<CFG
tickTime=2000
dataDir=$1/data
clientPort=$2
clientPortAddress=127.0.0.1
maxClientCnxns=0
4lw.commands.whitelist=*
admin.enableServer=false
autopurge.purgeInterval=0
CFG
}
wait_srvr() {
  for _ in $(seq 1 100); do
    if "$PY" - "$1" <<'PYEOF' 2>/dev/null; then return 0; fi
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1); s.sendall(b"srvr")
sys.exit(0 if b"Mode:" in s.recv(4096) else 1)
PYEOF
    sleep 0.2
  done
  return 1
}
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
OP=$(port); AP=$(port)
cfg "$BASE/odradek" "$OP"; cfg "$BASE/apache" "$AP"
"$PY" -m odradek.cli zk --config "$BASE/odradek/zoo.cfg" --log-level WARNING \
  >"$BASE/odradek/server.log" 2>&1 & PIDS+=($!)
java -Xmx512m -Dzookeeper.admin.enableServer=false \
  -cp /usr/share/java/zookeeper.jar:/usr/share/java/slf4j-simple.jar \
  org.apache.zookeeper.server.quorum.QuorumPeerMain "$BASE/apache/zoo.cfg" \
  >"$BASE/apache/server.log" 2>&1 & PIDS+=($!)
wait_srvr "$OP"; wait_srvr "$AP"
for port in "$AP" "$OP"; do  # warm-up, not recorded: the JVM's JIT, both servers' caches
  "$PY" "$BENCH" --hosts "127.0.0.1:$port" --label warmup --tests sync,async --n 1000 >/dev/null
done
for rep in $(seq 1 "$REPS"); do
  [ -n "${SKIP_KAZOO:-}" ] && break
  order="apache odradek"; [ $((rep % 2)) = 0 ] && order="odradek apache"  # ABBA: cancels drift
  for kind in $order; do
    if [ "$kind" = apache ]; then port=$AP; else port=$OP; fi
    "$PY" "$BENCH" --hosts "127.0.0.1:$port" --label "$kind-standalone" --rep "$rep" \
      --tests sync,async,watch,eph "$@" | tee -a "$OUT"
  done
done
[ -z "${SKIP_KAZOO:-}" ] && "$PY" "$BENCH" --summarize "$OUT" && "$PY" bench/zk_ratio.py "$OUT"
# server-bound figures with a raw-protocol client (kazoo's own CPU cost left out)
"$PY" bench/zk_raw_bench.py --server "apache=127.0.0.1:$AP" --server "odradek=127.0.0.1:$OP" \
  --reps "$REPS" | tee "${RAW_OUT:-bench/zk_results-raw.jsonl}"
