#!/usr/bin/env bash
# `make bench`: release build, then Bench/bench.py prints one `name: value unit` line per
# figure (see docs/performance.md). Installs wrk and socat on first use. Runs as root: the fake
# tracers are started directly, as by an endpoint running as root.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
# wrk for the HTTP figures, socat for the baseline pipeline (Debian's packages).
missing=()
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
command -v socat >/dev/null 2>&1 || missing+=(socat)
if [ ${#missing[@]} -gt 0 ]; then
    echo "bench: installing ${missing[*]}"
    if [ "$(id -u)" -eq 0 ]; then as_root=(); else as_root=(sudo); fi
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
swift build -c release
exec python3 Bench/bench.py --bin "$(swift build -c release --show-bin-path)"
