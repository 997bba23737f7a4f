#!/usr/bin/env bash
# Install the Debian packages the test suite drives as real peers (kcat, Apache ZooKeeper).
# Idempotent: does nothing when everything is present.
set -euo pipefail
need=()
command -v kcat >/dev/null 2>&1 || need+=(kcat)
[ -e /usr/share/zookeeper/bin/zkServer.sh ] || need+=(zookeeper)
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${need[@]}" >/dev/null
fi
