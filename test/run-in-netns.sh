#!/usr/bin/env bash
# Runs a command (the test suite) inside a private network namespace made here, so that nothing the
# tests do can reach any network but this namespace's own loopback:
#  - lo is up, so all of 127.0.0.0/8 and ::1 answer pings;
#  - 127.0.0.1:3306 is bridged by socat to the host's MariaDB Unix socket (the host's TCP ports are
#    not visible in here).
set -euo pipefail
if [ "${MPM_IN_NETNS:-}" != "1" ]; then
  if [ "$(id -u)" = "0" ]; then
    exec unshare --net -- env MPM_IN_NETNS=1 bash "$0" "$@"
  fi
  # unprivileged: a user namespace maps us to root inside
  exec unshare --map-root-user --net -- env MPM_IN_NETNS=1 bash "$0" "$@"
fi
ip link set lo up
nft -f - <<'NFT'
table inet mpm_test {
  chain input {
    type filter hook input priority 0; policy accept;
    # dropped on the way in, so the request is really sent and never answered: a silent device
    ip daddr 127.66.0.0/16 icmp type echo-request drop
  }
}
NFT
SOCK="${MPM_MYSQL_SOCKET:-/run/mysqld/mysqld.sock}"
if [ -S "$SOCK" ]; then
  socat "TCP-LISTEN:3306,bind=127.0.0.1,reuseaddr,fork" "UNIX-CONNECT:$SOCK" &
  SOCAT_PID=$!
  trap 'kill $SOCAT_PID 2>/dev/null || true' EXIT
fi
export MPM_NETNS_READY=1
"$@"
