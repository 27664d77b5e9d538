#!/usr/bin/env bash
# `make run`: the endpoint on Config/ with the reference receiver beside it, so a first
# trace lands on disk in .run/received/. Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
config=${CONFIG:-Config}
bin=$(swift build --show-bin-path)

# Uprobes attach without tracefs, but detaching then logs errors.
if ! mountpoint -q /sys/kernel/tracing; then
    if [ "$(id -u)" -eq 0 ]; then mount -t tracefs nodev /sys/kernel/tracing || true; else sudo mount -t tracefs nodev /sys/kernel/tracing || true; fi
fi

# git checks files out world-readable; serve refuses a lambda-settings.yml that others
# can read (it holds the secret).
chmod 600 "$config/lambda-settings.yml"

mkdir -p .run/received
"$bin/lambda-receiver" --config "$config" --out .run/received --port 3001 &
receiver=$!
trap 'kill $receiver 2>/dev/null || true' EXIT
echo "run-local: receiver on 127.0.0.1:3001 writing to .run/received/"
"$bin/lambda-endpoint" serve --config "$config"
