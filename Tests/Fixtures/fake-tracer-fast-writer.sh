#!/bin/sh
# A FAKE tracer for tests: writes 1 GiB of NDJSON-like lines as fast as the pipe takes
# them, then exits 0. No real tracer produces output on demand at this rate.
echo '{"type": "value", "data": ["ready",1]}'
yes '{"type": "value", "data": ["filler","0123456789abcdef0123456789abcdef"]}' | head -c 1073741824
