#!/usr/bin/env bash
# Builds the two Go binaries the full-stack test runs, from the Go module proxy:
#   - otelcol-twinkle: the Twinkle collector, by the OpenTelemetry Collector Builder
#     (ocb) from ../collector/builder-config.yaml;
#   - jaeger: Jaeger v2 (github.com/jaegertracing/jaeger/cmd/jaeger).
# Each lands in ${TWINKLE_BIN_CACHE:-$HOME/.cache/twinkle-bin}/<name>-<version>/ and is
# built only when that binary is missing. The last two lines printed are the binary
# paths, as NAME=path, and the same lines are written to <cache>/binaries.env.
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

# timed NAME COMMAND...: runs COMMAND and prints how long it took.
timed() {
  local name="$1" start
  shift
  start=$SECONDS
  "$@"
  echo "built $name in $((SECONDS - start))s" >&2
}

build_collector() {
  mkdir -p "$collector_dir"
  cp "$manifest" "$collector_dir/builder-config.yaml"
  # output_path in the manifest is relative: the sources and binary go under $collector_dir.
  (cd "$collector_dir" && go run "go.opentelemetry.io/collector/cmd/builder@$OCB_VERSION" --config builder-config.yaml)
}

build_jaeger() {
  mkdir -p "$jaeger_dir/src"
  cd "$jaeger_dir/src"
  # `go install pkg@version` refuses Jaeger because its go.mod has a replace directive,
  # so build from a tiny wrapper module that repeats it.
  [ -f go.mod ] || go mod init twinkle-jaeger-build >/dev/null 2>&1
  go mod edit -replace github.com/Shopify/sarama=github.com/Shopify/sarama@v1.33.0
  go get -tool "github.com/jaegertracing/jaeger/cmd/jaeger@$JAEGER_MODULE_VERSION"
  local info=github.com/jaegertracing/jaeger/internal/version
  go build -trimpath -ldflags "-s -w -X $info.latestVersion=$JAEGER_RELEASE" \
    -o "$jaeger_bin" github.com/jaegertracing/jaeger/cmd/jaeger
}

command -v go >/dev/null || { echo "build-binaries.sh: go is not on PATH" >&2; exit 1; }

if [ -x "$collector_bin" ]; then
  echo "cached: $collector_bin" >&2
else
  echo "building the Twinkle collector (ocb $OCB_VERSION) from the Go module proxy: about 6 minutes the first time on a machine, well under a minute once Go's caches are warm; kept in $collector_dir" >&2
  timed "otelcol-twinkle $OCB_VERSION" build_collector
fi

if [ -x "$jaeger_bin" ]; then
  echo "cached: $jaeger_bin" >&2
else
  echo "building Jaeger $JAEGER_RELEASE from the Go module proxy: about 3-10 minutes the first time on a machine; kept in $jaeger_dir" >&2
  (timed "jaeger $JAEGER_RELEASE" build_jaeger)
fi

printf 'TWINKLE_COLLECTOR_BIN=%s\nTWINKLE_JAEGER_BIN=%s\n' "$collector_bin" "$jaeger_bin" | tee "$cache/binaries.env"
