#!/bin/bash
# A FAKE tracer for tests: prints the ready line, then numbered NDJSON lines at a steady
# pace (about 1000 a second) until SIGINT or SIGTERM, then exits 0 like bpftrace. The
# numbers let a test check that the delivered stream has no hole and no reordering.
trap 'exit 0' INT TERM
echo '{"type": "value", "data": ["ready",1]}'
i=0
while :; do
    for _ in 1 2 3 4 5 6 7 8 9 10; do
        echo "{\"type\": \"value\", \"data\": [\"count\",$i]}"
        i=$((i + 1))
    done
    sleep 0.01
done
