#!/usr/bin/env bash
# Run /work/shared/bench/zkbench.py against a 3-node Apache ZooKeeper 3.8 ensemble and a 3-node
# odradek zk ensemble on loopback (separate data dirs, same zoo.cfg settings, same client),
# alternating deployments per repetition (ABBA order), including the leader fail-over test (kill -9).
#   bench/zk_ensemble.sh [REPS] [extra zkbench args...]
# Clients get the full 3-host connect string; zkbench pins its sync/async/watch/eph clients to
# followers itself (found with `srvr`), and connects the fail-over writer to all three hosts.
# Writes JSON lines to bench/zk_results-ensemble.jsonl (OUT=... to change) and prints the tables.
#   bench/zk_ensemble.sh ctl BASE kill|start IDX     (the `--ctl` interface of zkbench.py)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
BENCH=${ZKBENCH:-/work/shared/bench/zkbench.py}
ZKCP=/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-simple.jar

alive() { local st; st=$(ps -o stat= -p "$1" 2>/dev/null || true); [ -n "$st" ] && [ "${st#Z}" = "$st" ]; }
launch() {  # $1 member dir: runs its `run` file (which execs the server), records the PID
  nohup bash "$1/run" >>"$1/server.log" 2>&1 </dev/null &
  echo $! >"$1/pid"
}
ctl() {  # $1 base $2 kill|start $3 idx (0-based)
  local d="$1/s$(($3 + 1))" pid
  case "$2" in
    kill) if [ -f "$d/pid" ]; then pid=$(cat "$d/pid")
            if alive "$pid"; then kill -9 "$pid"; fi
            for _ in $(seq 1 100); do alive "$pid" || break; sleep 0.01; done
            rm -f "$d/pid"; fi ;;
    start) if [ ! -f "$d/pid" ] || ! alive "$(cat "$d/pid")"; then launch "$d"; fi ;;
    *) echo "verb must be kill|start" >&2; exit 2 ;;
  esac
}
if [ "${1:-}" = ctl ]; then ctl "$2" "$3" "$4"; exit 0; fi

REPS=${1:-3}; shift || true
OUT=${OUT:-bench/zk_results-ensemble.jsonl}
BASE=$(mktemp -d /tmp/zkens.XXXXXX)
port() { "$PY" -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
mode() {  # $1 client port -> prints the `srvr` mode or nothing
  "$PY" - "$1" <<'PYEOF' 2>/dev/null || true
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1); s.sendall(b"srvr")
out = b""
while (d := s.recv(4096)):
    out += d
print(next((l.split(":", 1)[1].strip() for l in out.decode().splitlines() if l.startswith("Mode:")), ""))
PYEOF
}
setup() {  # $1 kind (apache|odradek) -> writes $BASE/$1/s{1,2,3}, prints the connect string
  local kind=$1 b="$BASE/$1" i hosts="" servers=""
  local -a cps
  for i in 1 2 3; do
    cps[i]=$(port)
    servers+="server.$i=127.0.0.1:$(port):$(port)"$'\n'
    hosts+="${hosts:+,}127.0.0.1:${cps[i]}"
  done
  for i in 1 2 3; do
    local d="$b/s$i"
    mkdir -p "$d/data"
    echo "$i" >"$d/data/myid"
    cat >"$d/zoo.cfg" <<CFG
tickTime=2000
initLimit=10
syncLimit=5
dataDir=$d/data
clientPort=${cps[i]}
clientPortAddress=127.0.0.1
maxClientCnxns=0
4lw.commands.whitelist=*
admin.enableServer=false
autopurge.purgeInterval=0
${servers}
CFG
    if [ "$kind" = apache ]; then
      echo "exec java -Xmx512m -Dzookeeper.admin.enableServer=false -cp $ZKCP" \
        "org.apache.zookeeper.server.quorum.QuorumPeerMain $d/zoo.cfg" >"$d/run"
    else
      echo "exec $PWD/$PY -m odradek.cli zk --config $d/zoo.cfg --log-level ${ZK_LOG_LEVEL:-WARNING}" >"$d/run"
    fi
  done
  echo "$hosts"
}
wait_leader() {  # $1 connect string: every member serving and one leader (max ~60 s)
  local hp m leaders
  for _ in $(seq 1 300); do
    leaders=0; m=ok
    for hp in ${1//,/ }; do
      case "$(mode "${hp##*:}")" in
        leader) leaders=$((leaders + 1)) ;; follower) ;; *) m=no ;;
      esac
    done
    if [ "$m" = ok ] && [ "$leaders" = 1 ]; then return 0; fi
    sleep 0.2
  done
  echo "no stable ensemble at $1" >&2; return 1
}
cleanup() {
  local f
  for f in "$BASE"/*/s*/pid; do [ -f "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null || true; done
}
trap cleanup EXIT

: >"$OUT"
declare -A HOSTS
for kind in apache odradek; do
  HOSTS[$kind]=$(setup "$kind")
  for i in 0 1 2; do ctl "$BASE/$kind" start "$i"; done
done
for kind in apache odradek; do  # warm-up, not recorded: the JVM's JIT, both servers' caches
  wait_leader "${HOSTS[$kind]}"
  "$PY" "$BENCH" --hosts "${HOSTS[$kind]}" --label warmup --tests sync,async --n 1000 >/dev/null
done
for rep in $(seq 1 "$REPS"); do
  order="apache odradek"; [ $((rep % 2)) = 0 ] && order="odradek apache"  # ABBA: cancels drift
  for kind in $order; do
    wait_leader "${HOSTS[$kind]}"
    "$PY" "$BENCH" --hosts "${HOSTS[$kind]}" --label "$kind-ensemble" --rep "$rep" \
      --ctl "bench/zk_ensemble.sh ctl $BASE/$kind" "$@" | tee -a "$OUT"
  done
done
"$PY" "$BENCH" --summarize "$OUT"
"$PY" bench/zk_ratio.py "$OUT"
