#!/usr/bin/env bash
# `make run`: lambda-platform on 127.0.0.1:3001 (its files in .run/platform/) with the
# endpoint of Config/ beside it delivering to it, and an admin account for the person at
# the keyboard, whose password is printed once. Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
config=${CONFIG:-Config}
bin=$(swift build --show-bin-path)

# Uprobes attach without tracefs, but detaching then logs errors.
if ! mountpoint -q /sys/kernel/tracing; then
    if [ "$(id -u)" -eq 0 ]; then mount -t tracefs nodev /sys/kernel/tracing || true; else sudo mount -t tracefs nodev /sys/kernel/tracing || true; fi
fi

umask 077
mkdir -p .run/platform .run/endpoint
# The platform: the shipped platform.yml (it declares the endpoint of Config/ with the
# same example secret), its SQLite file next to it.
cp Config/platform.yml .run/platform/platform.yml
# The endpoint: Config/ as it is, but a partial chunk goes out after half a second
# without a full one, so a slow trace is live in the platform within a second.
cp "$config/settings.yml" .run/endpoint/settings.yml
sed 's/^submit-flush-interval: .*/submit-flush-interval: 0.5/' "$config/lambda-settings.yml" >.run/endpoint/lambda-settings.yml
chmod 600 .run/platform/platform.yml .run/endpoint/lambda-settings.yml

me=$(id -un)
if ! "$bin/lambda-platform" account list --config .run/platform | grep -q "^$me "; then
    password=$(head -c 18 /dev/urandom | base64 | tr '+/' 'xy')
    printf '%s\n' "$password" | "$bin/lambda-platform" account add "$me" --role admin --config .run/platform >/dev/null
    printf '%s\n' "$password" >.run/platform/$me.password
    echo "run-local: account '$me' (admin) made; its password is in .run/platform/$me.password"
fi

"$bin/lambda-platform" serve --config .run/platform &
platform=$!
trap 'kill $platform 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -fs -o /dev/null http://127.0.0.1:3001/metrics && break; sleep 0.1; done
# A token for the walk-through (README, "A first session"), 0600 like the password.
"$bin/lambda-platform" fleet login --url http://127.0.0.1:3001 --name "$me" <.run/platform/$me.password >.run/platform/token
cat <<TEXT
run-local: lambda-platform on http://127.0.0.1:3001 (database .run/platform/platform.sqlite),
  signed in as '$me' (admin): the token is in .run/platform/token, the password in
  .run/platform/$me.password. The endpoint of Config/ on http://127.0.0.1:3000 delivers to it.
  Try: .build/debug/lambda-platform fleet endpoints --url http://127.0.0.1:3001 --token-file .run/platform/token
TEXT
"$bin/lambda-endpoint" serve --config .run/endpoint
