#!/bin/sh
# A FAKE tracer for tests: prints the ready line, then about 20 MB/s of whole NDJSON lines
# (16384 lines, ~1.1 MiB, every 50 ms) until SIGINT or SIGTERM. A long, fast run on demand,
# slower than delivery on loopback, so acknowledged output can be released from the disk.
trap 'exit 0' INT TERM
echo '{"type": "value", "data": ["ready",1]}'
while :; do
    yes '{"type": "value", "data": ["filler","0123456789abcdef0123456789abcdef"]}' | head -n 16384
    sleep 0.05
done
