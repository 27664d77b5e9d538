#!/bin/bash
# A FAKE tracer for tests: fake-tracer-counter.sh's lines at a twentieth of its pace (10
# numbered NDJSON lines every 0.2 s) until SIGINT or SIGTERM, then exits 0 like bpftrace.
# For tests that run 50 tracers at once on a 2-core machine: the counter's 100 forks of
# sleep a second, 50 times over, would starve everything else. Still a writer: an
# endpoint SIGKILLed leaves it to die of SIGPIPE at its next write, within 0.2 s.
# Its ready line comes 0.3 s after its start, as bpftrace's comes once its probes are
# attached: a test can see tracers that have started and are not ready yet.
trap 'exit 0' INT TERM
sleep 0.3
echo '{"type": "value", "data": ["ready",1]}'
i=0
while :; do
    for _ in 1 2 3 4 5 6 7 8 9 10; do
        echo "{\"type\": \"value\", \"data\": [\"count\",$i]}"
        i=$((i + 1))
    done
    sleep 0.2
done
