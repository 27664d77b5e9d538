#!/bin/sh
# A FAKE tracer for tests: prints the ready line, then waits without output until a
# signal ends it (SIGINT/SIGTERM: exit 0 like bpftrace). Used to hold run slots.
trap 'exit 0' INT TERM
echo '{"type": "value", "data": ["ready",1]}'
while :; do sleep 0.1; done
