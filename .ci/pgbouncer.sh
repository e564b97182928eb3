#!/usr/bin/env bash
# Start a PgBouncer in transaction pooling mode on a free loopback port, in front of
# PostgreSQL at 127.0.0.1:5432 (every database, trust auth: a loopback test only).
#   eval "$(.ci/pgbouncer.sh start DIR)"   -> exports PGBOUNCER_PORT and PGBOUNCER_PID
#   .ci/pgbouncer.sh stop DIR
set -euo pipefail
command="$1" dir="$2"
case "$command" in
start)
  mkdir -p "$dir"
  port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  echo '"postgres" ""' >"$dir/users.txt"
  cat >"$dir/pgbouncer.ini" <<INI
[databases]
* = host=127.0.0.1 port=5432
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $port
unix_socket_dir =
auth_type = trust
auth_file = $dir/users.txt
pool_mode = transaction
max_client_conn = 500
default_pool_size = 20
ignore_startup_parameters = extra_float_digits,options
logfile = $dir/pgbouncer.log
pidfile = $dir/pgbouncer.pid
INI
  # pgbouncer refuses to run as root; Debian's package runs it as postgres.
  if [ "$(id -u)" = 0 ]; then chown -R postgres "$dir"; runner=(runuser -u postgres --); else runner=(); fi
  "${runner[@]}" /usr/sbin/pgbouncer -d "$dir/pgbouncer.ini"
  for _ in $(seq 50); do pg_isready -h 127.0.0.1 -p "$port" -q && break; sleep 0.2; done
  echo "export PGBOUNCER_PORT=$port PGBOUNCER_PID=$(cat "$dir/pgbouncer.pid")"
  ;;
stop)
  [ -f "$dir/pgbouncer.pid" ] && kill "$(cat "$dir/pgbouncer.pid")" 2>/dev/null || true
  ;;
esac
