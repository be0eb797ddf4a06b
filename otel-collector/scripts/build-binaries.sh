#!/usr/bin/env bash
# Builds the two Go binaries the full-stack test runs, from the Go module proxy:
#   - otelcol-twinkle: the Twinkle collector, by the OpenTelemetry Collector Builder
#     (ocb) from ../collector/builder-config.yaml;
#   - jaeger: Jaeger v2 (github.com/jaegertracing/jaeger/cmd/jaeger).
# Each lands in ${TWINKLE_BIN_CACHE:-$HOME/.cache/twinkle-bin}/<name>-<version>/ and is
# built only when that binary is missing. A build says one line on stderr before it and one
# after; Go's own output (hundreds of `go: downloading` lines) goes to <cache>/<name>.build.log,
# whose path and last lines are printed when the build fails. Whatever the tools put in a
# temporary folder goes in one of this script's own, removed when it ends (ocb always
# leaves an empty otelcol-distribution* folder there). The last two lines printed are the
# binary paths, as NAME=path, and the same lines are written to <cache>/binaries.env.
#
# Usage: otel-collector/scripts/build-binaries.sh
set -euo pipefail

# One collector release for ocb and every component in builder-config.yaml.
OCB_VERSION=v0.161.0
# Jaeger v2.13.0: Jaeger's Go module carries the v1 tag of the same release.
JAEGER_MODULE_VERSION=v1.76.0
JAEGER_RELEASE=v2.13.0

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
manifest="$here/../collector/builder-config.yaml"
cache="${TWINKLE_BIN_CACHE:-${HOME:-/root}/.cache/twinkle-bin}"

# The manifest's hash is part of the folder name, so a changed component list rebuilds.
manifest_hash="$(sha256sum "$manifest" | cut -c1-12)"
collector_dir="$cache/otelcol-twinkle-${OCB_VERSION#v}-$manifest_hash"
collector_bin="$collector_dir/otelcol-twinkle/otelcol-twinkle"
jaeger_dir="$cache/jaeger-${JAEGER_RELEASE#v}"
jaeger_bin="$jaeger_dir/jaeger"

# quietly NAME LOG COMMAND...: runs COMMAND with its output in LOG, then says how long it
# took, or that it failed, with the log's path and last lines. COMMAND's steps are chained
# with && (errexit does not hold inside a command whose status is tested).
quietly() {
  local name="$1" log="$2" start=$SECONDS status=0
  shift 2
  "$@" >"$log" 2>&1 || status=$?
  if [ "$status" -ne 0 ]; then
    echo "building $name failed after $((SECONDS - start))s (exit $status); its full log: $log; the last lines:" >&2
    tail -n 15 "$log" | sed 's/^/  /' >&2
    return "$status"
  fi
  echo "built $name in $((SECONDS - start))s; its log: $log" >&2
}

build_collector() {
  mkdir -p "$collector_dir" &&
    cp "$manifest" "$collector_dir/builder-config.yaml" &&
    # output_path in the manifest is relative: the sources and binary go under $collector_dir.
    (cd "$collector_dir" && go run "go.opentelemetry.io/collector/cmd/builder@$OCB_VERSION" --config builder-config.yaml)
}

build_jaeger() {
  local info=github.com/jaegertracing/jaeger/internal/version
  mkdir -p "$jaeger_dir/src" &&
    cd "$jaeger_dir/src" &&
    # `go install pkg@version` refuses Jaeger because its go.mod has a replace directive,
    # so build from a tiny wrapper module that repeats it.
    { [ -f go.mod ] || go mod init twinkle-jaeger-build; } &&
    go mod edit -replace github.com/Shopify/sarama=github.com/Shopify/sarama@v1.33.0 &&
    go get -tool "github.com/jaegertracing/jaeger/cmd/jaeger@$JAEGER_MODULE_VERSION" &&
    go build -trimpath -ldflags "-s -w -X $info.latestVersion=$JAEGER_RELEASE" \
      -o "$jaeger_bin" github.com/jaegertracing/jaeger/cmd/jaeger
}

command -v go >/dev/null || { echo "build-binaries.sh: go is not on PATH" >&2; exit 1; }

if [ ! -x "$collector_bin" ] || [ ! -x "$jaeger_bin" ]; then
  mkdir -p "$cache"
  scratch="$(mktemp -d "${TMPDIR:-/tmp}/twinkle-go-build.XXXXXX")"
  trap 'rm -rf "$scratch"' EXIT
  export TMPDIR="$scratch"
fi

if [ -x "$collector_bin" ]; then
  echo "cached: $collector_bin" >&2
else
  echo "building the Twinkle collector (ocb $OCB_VERSION) from the Go module proxy: about 6 minutes the first time on a machine, well under a minute once Go's caches are warm; kept in $collector_dir" >&2
  quietly "otelcol-twinkle $OCB_VERSION" "$cache/otelcol-twinkle.build.log" build_collector
fi

if [ -x "$jaeger_bin" ]; then
  echo "cached: $jaeger_bin" >&2
else
  echo "building Jaeger $JAEGER_RELEASE from the Go module proxy: about 3-10 minutes the first time on a machine; kept in $jaeger_dir" >&2
  (quietly "jaeger $JAEGER_RELEASE" "$cache/jaeger.build.log" build_jaeger)
fi

printf 'TWINKLE_COLLECTOR_BIN=%s\nTWINKLE_JAEGER_BIN=%s\n' "$collector_bin" "$jaeger_bin" | tee "$cache/binaries.env"
