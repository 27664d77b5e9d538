#!/usr/bin/env bash
# Installs what lambda-endpoint needs to build, run and test, and nothing twice:
# running it again on a prepared machine changes nothing. Debian 12 with Swift.
set -euo pipefail

# Build: sqlite3, argon2 and curl headers, pkg-config to find libargon2.
# Run: sudo and the tracers. Test: the argon2 CLI (an independent argon2 implementation),
# openssl (test certificates) and curl (an independent HTTPS client).
# Test the platform: postgresql (its tests on PostgreSQL: initdb, pg_ctl, psql, createdb) and
# haproxy (two platform instances behind one round-robin balancer).
# Installing postgresql may create and start Debian's default cluster (port 5432); the tests
# never use it: each test process runs a private cluster of its own in a temporary directory
# on a free port (Tests/EndpointTestSupport/PostgresCluster.swift). Leave it, or stop it.
# Test the console: chromium and chromium-driver (a real headless browser, driven by selenium).
# zlib1g-dev: the gzip of the platform's pprof profiles (CZlib); golang-go: `go tool pprof`
# reads them back in RunPicturesTests.
packages=(libsqlite3-dev libargon2-dev libcurl4-openssl-dev pkg-config sudo bpftrace systemtap argon2 openssl curl postgresql haproxy chromium chromium-driver zlib1g-dev golang-go)

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

missing=()
for package in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$package")
    fi
done

if [ "${#missing[@]}" -gt 0 ]; then
    echo "install-deps: installing ${missing[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if ! command -v swift >/dev/null 2>&1; then
    echo "install-deps: 'swift' is not on PATH; install Swift 6.2 or later first" >&2
    exit 1
fi

# Test: schemathesis checks docs/openapi.yaml against a live server (scripts/check-openapi.sh);
# pinned so `make test` generates the same cases for the same seed.
if ! schemathesis --version 2>/dev/null | grep -qx "schemathesis, version 4.32.5"; then
    echo "install-deps: installing schemathesis 4.32.5"
    python3 -m pip install --quiet "schemathesis==4.32.5"
fi

# Test: selenium drives Debian's chromium through chromium-driver for the console's browser
# test (Tests/Browser/console_walkthrough.py); pinned (4.38.0: later ones require a certifi
# newer than the package index here has).
if ! python3 -c 'import selenium, sys; sys.exit(selenium.__version__ != "4.38.0")' 2>/dev/null; then
    echo "install-deps: installing selenium 4.38.0"
    python3 -m pip install --quiet "selenium==4.38.0"
fi

# Test: the OTLP collector of PlatformServerTests (Tests/Fixtures/otlp-collector.py)
# decodes the platform's log exports with opentelemetry-proto's generated classes; pinned.
# (Asked of importlib, not `pip show | grep -q`: grep leaving early made pip's SIGPIPE fail
# the pipeline under pipefail, and the package was installed again at every run.)
if ! python3 -c 'import importlib.metadata as m, sys; sys.exit(m.version("opentelemetry-proto") != "1.45.2")' 2>/dev/null; then
    echo "install-deps: installing opentelemetry-proto 1.45.2"
    python3 -m pip install --quiet "opentelemetry-proto==1.45.2"
fi
