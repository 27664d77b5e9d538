#!/bin/sh
# A FAKE tracer for `make bench`: the ready line, then one short line a second until a
# signal ends it (exit 0 on SIGINT/SIGTERM, like bpftrace). Holds a run slot cheaply, so
# hundreds of runs at once measure the endpoint, not the tracers.
trap 'exit 0' INT TERM
echo '{"type": "value", "data": ["ready",1]}'
while :; do
    echo '{"type": "value", "data": ["tick"]}'
    sleep 1
done
