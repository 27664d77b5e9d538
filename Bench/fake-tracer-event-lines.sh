#!/bin/sh
# A FAKE tracer for `make bench`: after the ready line, prints one event line every
# 400 ms carrying the wall-clock time it was printed (ns since the epoch), then exits 0.
# The bench measures each line's way to the receiver; a real tracer cannot be made to
# print at chosen instants.
echo '{"type": "value", "data": ["ready",1]}'
count=${LAMBDA_BENCH_EVENTS:-20}
i=0
while [ "$i" -lt "$count" ]; do
    sleep 0.4
    echo "{\"type\": \"value\", \"data\": [\"event\",$i,$(date +%s%N)]}"
    i=$((i + 1))
done
