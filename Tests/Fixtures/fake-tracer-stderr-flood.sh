#!/bin/sh
# A FAKE tracer for tests: floods stderr (about 8 MiB, far past any pipe buffer) while
# writing a few NDJSON lines to stdout, then exits 3. A real tracer cannot be made to
# do this on demand; the endpoint must drain both pipes and report the real code.
echo '{"type": "value", "data": ["ready",1]}'
i=0
while [ $i -lt 2048 ]; do
    head -c 4096 /dev/zero | tr '\0' 'e'
    echo
    i=$((i + 1))
done >&2
echo '{"type": "value", "data": ["fake-line",2]}'
echo 'fake tracer: last stderr line' >&2
exit 3
