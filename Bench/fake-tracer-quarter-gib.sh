#!/bin/sh
# A FAKE tracer for the bench: writes 256 MiB of NDJSON-like lines as fast as the pipe
# takes them, then exits 0 (several at once make a GiB for the platform's PostgreSQL figures).
echo '{"type": "value", "data": ["ready",1]}'
yes '{"type": "value", "data": ["filler","0123456789abcdef0123456789abcdef"]}' | head -c 268435456
