#!/usr/bin/env bash
# `make bench`: the side-by-side broker benchmark against the peer (../shared/bench/compare.sh),
# same client, same run, interleaved rounds. Prints the comparison table (medians and
# ours/peer ratios) and keeps the raw JSONL under bench/results/<timestamp>/.
# Extra arguments go to kbench (e.g. --phases produce --sizes 100:300000).
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED=${SHARED_BENCH:-../shared/bench}
STAMP=$(date +%Y%m%d-%H%M%S)
export OUT=${OUT:-bench/results/$STAMP}
mkdir -p "$OUT"
export ROUNDS=${ROUNDS:-4}
"$SHARED/compare.sh" "$@" | tee "$OUT/compare.md"
