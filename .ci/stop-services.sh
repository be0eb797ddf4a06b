#!/usr/bin/env bash
# Stops the Redis and PostgreSQL that .ci/services.sh (`source .ci/setup.sh`) started: the
# ones on its ports (TWINKLE_REDIS_PORT, 6390; TWINKLE_PG_PORT, 5433) whose data is in its
# folder (TWINKLE_SERVICES_DIR, /tmp/twinkle-services). A server on those ports that it did
# not start is left alone. Their data stays, for the next `source .ci/setup.sh`; remove the
# folder as well to start afresh. Safe to run again.
set -uo pipefail

state="${TWINKLE_SERVICES_DIR:-/tmp/twinkle-services}"
redis_port="${TWINKLE_REDIS_PORT:-6390}"
pg_port="${TWINKLE_PG_PORT:-5433}"

redis_dir="$(redis-cli -h 127.0.0.1 -p "$redis_port" config get dir 2>/dev/null | sed -n 2p)"
if [ -z "$redis_dir" ]; then
  echo "services: no Redis answers on 127.0.0.1:$redis_port"
elif [ "$(cd "$redis_dir" && pwd -P)" != "$(cd "$state/redis" 2>/dev/null && pwd -P)" ]; then
  echo "services: the Redis on 127.0.0.1:$redis_port keeps its data in $redis_dir, not $state/redis: not ours, left running"
else
  redis-cli -h 127.0.0.1 -p "$redis_port" shutdown nosave >/dev/null 2>&1
  echo "services: stopped Redis on 127.0.0.1:$redis_port"
fi

pg_bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
as_pg=()
if [ "$(id -u)" -eq 0 ]; then as_pg=(runuser -u postgres --); fi
if [ -z "$pg_bin" ] || [ ! -f "$state/pg/data/postmaster.pid" ]; then
  echo "services: no PostgreSQL of ours runs from $state/pg/data"
elif "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$state/pg/data" status >/dev/null 2>&1; then
  "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$state/pg/data" -m fast -w stop >/dev/null
  echo "services: stopped PostgreSQL on 127.0.0.1:$pg_port ($state/pg/data)"
else
  echo "services: no PostgreSQL of ours runs from $state/pg/data"
fi
