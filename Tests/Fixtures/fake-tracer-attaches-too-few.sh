#!/bin/sh
# A FAKE tracer for tests: says, as bpftrace's `-f json` would, that it attached one
# probe (a real bpftrace attaching fewer probes than its program has cannot be made on
# demand), prints the ready line, then waits until a signal ends it (exit 0 like bpftrace).
trap 'exit 0' INT TERM
echo '{"type": "attached_probes", "data": {"probes": 1}}'
echo '{"type": "value", "data": ["ready",1]}'
while :; do sleep 0.1; done
