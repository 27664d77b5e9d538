#!/bin/sh
# A FAKE tracer for tests: fails as bpftrace does when a probed /proc/<pid>/root path is
# gone before it attaches (the target's process exited since the start resolved it), a
# second after it starts, without printing the ready line.
sleep 1
echo "ERROR: uprobe target file '$(grep -o '/proc/[0-9]*/root[^:]*' "$3" | head -n 1)' does not exist or is not executable" >&2
exit 1
