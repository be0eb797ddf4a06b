# Starts the servers the tests talk to, on 127.0.0.1 only, if they are not already up:
# Redis on :6390 and PostgreSQL on :5433 (ports apart from any system instance; or
# TWINKLE_REDIS_PORT / TWINKLE_PG_PORT), with their data under /tmp/twinkle-services
# (TWINKLE_SERVICES_DIR). Sourced by setup.sh; safe to run again. .ci/stop-services.sh
# stops them.

twinkle_state="${TWINKLE_SERVICES_DIR:-/tmp/twinkle-services}"
twinkle_redis_port="${TWINKLE_REDIS_PORT:-6390}"
twinkle_pg_port="${TWINKLE_PG_PORT:-5433}"
export TWINKLE_TEST_REDIS_URL="${TWINKLE_TEST_REDIS_URL:-redis://127.0.0.1:$twinkle_redis_port}"
export TWINKLE_TEST_DATABASE_URL="${TWINKLE_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:$twinkle_pg_port/twinkle}"
# npm start uses the same servers unless REDIS_URL / DATABASE_URL say otherwise.
export REDIS_URL="${REDIS_URL:-$TWINKLE_TEST_REDIS_URL}"
export DATABASE_URL="${DATABASE_URL:-$TWINKLE_TEST_DATABASE_URL}"
mkdir -p "$twinkle_state"

if ! redis-cli -h 127.0.0.1 -p "$twinkle_redis_port" ping >/dev/null 2>&1; then
  echo "services: starting Redis on 127.0.0.1:$twinkle_redis_port"
  mkdir -p "$twinkle_state/redis"
  redis-server --bind 127.0.0.1 --port "$twinkle_redis_port" --daemonize yes --save '' --appendonly no \
    --dir "$twinkle_state/redis" --logfile "$twinkle_state/redis/redis.log"
  for _ in $(seq 1 50); do redis-cli -h 127.0.0.1 -p "$twinkle_redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done
fi

twinkle_pg_bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
if ! "$twinkle_pg_bin/pg_isready" -h 127.0.0.1 -p "$twinkle_pg_port" -U postgres >/dev/null 2>&1; then
  echo "services: starting PostgreSQL on 127.0.0.1:$twinkle_pg_port"
  twinkle_as_pg=()
  if [ "$(id -u)" -eq 0 ]; then twinkle_as_pg=(runuser -u postgres --); fi
  mkdir -p "$twinkle_state/pg"
  [ "$(id -u)" -eq 0 ] && chown postgres "$twinkle_state/pg"
  twinkle_pg_start() {
    if [ ! -f "$twinkle_state/pg/data/PG_VERSION" ]; then
      "${twinkle_as_pg[@]}" "$twinkle_pg_bin/initdb" -D "$twinkle_state/pg/data" -A trust -U postgres >/dev/null
    fi
    "${twinkle_as_pg[@]}" "$twinkle_pg_bin/pg_ctl" -D "$twinkle_state/pg/data" -l "$twinkle_state/pg/postgres.log" -w \
      -o "-p $twinkle_pg_port -k $twinkle_state/pg -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off" start >/dev/null
  }
  # Nothing answers on the port, so lock files left by a killed run are stale.
  rm -f "$twinkle_state/pg/data/postmaster.pid" "$twinkle_state/pg/.s.PGSQL.$twinkle_pg_port" "$twinkle_state/pg/.s.PGSQL.$twinkle_pg_port.lock"
  # Test data only: a cluster left broken by a killed run is started afresh.
  if ! twinkle_pg_start; then
    echo "services: PostgreSQL did not start from $twinkle_state/pg/data; starting a new cluster"
    rm -rf "$twinkle_state/pg/data" "$twinkle_state/pg/.s.PGSQL.$twinkle_pg_port" "$twinkle_state/pg/.s.PGSQL.$twinkle_pg_port.lock"
    twinkle_pg_start
  fi
  "$twinkle_pg_bin/psql" -h 127.0.0.1 -p "$twinkle_pg_port" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'twinkle'" | grep -q 1 ||
    "$twinkle_pg_bin/psql" -h 127.0.0.1 -p "$twinkle_pg_port" -U postgres -qc "CREATE DATABASE twinkle" >/dev/null
fi
