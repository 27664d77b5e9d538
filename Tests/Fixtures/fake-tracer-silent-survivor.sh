#!/bin/sh
# A FAKE tracer for tests: prints the ready line, then nothing, and ignores SIGPIPE, so an
# endpoint's death (its stdout pipe closing) cannot end it. Stands for a tracer that
# outlives a SIGKILLed endpoint: only the next endpoint's clean-up can stop it.
trap '' PIPE
trap 'exit 0' INT TERM
echo '{"type": "value", "data": ["ready",1]}'
while :; do sleep 0.1; done
