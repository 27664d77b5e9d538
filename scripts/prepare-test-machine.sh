#!/usr/bin/env bash
# Prepares this machine for the real-tracer tests, idempotently (run as root or with sudo):
# - tracefs mounted (uprobes attach without it, but detach errors appear on exit);
# - no home-made test container left behind (Tests/EndpointTestSupport/HomeMadeContainer.swift)
#   by a test process that was killed before it could remove them, nor a private PostgreSQL
#   cluster or haproxy (PostgresCluster.swift, HAProxyBalancer.swift there);
# - three unprivileged users that run the endpoint in tests:
#     lambda-nopw    NOPASSWD sudo rule for the tracers only   (the `sudo -n` path)
#     lambda-pw      password sudo rule for the tracers only   (the `sudo -S` path)
#     lambda-norule  no sudo rule at all                       (the failure path)
#   lambda-pw's password is random, made once, kept in a root-only file that the tests
#   read; none of these users can log in (nologin shell, no home).
# A sudo rule for a tracer is root-equivalent (bpftrace --unsafe runs commands): do not
# run this on a machine whose other users you do not trust.
set -euo pipefail

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

if ! mountpoint -q /sys/kernel/tracing; then
    as_root mount -t tracefs nodev /sys/kernel/tracing || echo "prepare-test-machine: could not mount tracefs; uprobes may leave detach errors" >&2
fi

for user in lambda-nopw lambda-pw lambda-norule; do
    if ! id "$user" >/dev/null 2>&1; then
        as_root useradd --system --no-create-home --shell /usr/sbin/nologin "$user"
    fi
done

state_dir=/var/lib/lambda-endpoint-tests
password_file=$state_dir/sudo-password
as_root install -d -m 0700 "$state_dir"
if ! as_root test -s "$password_file"; then
    password=$(head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 24)
    as_root sh -c "umask 077 && printf '%s' '$password' > '$password_file'"
    printf 'lambda-pw:%s\n' "$password" | as_root chpasswd
fi

# The environment variables of the BPF allow-list must survive sudo's env_reset.
sudoers=/etc/sudoers.d/lambda-endpoint-tests
rules=$(mktemp)
cat > "$rules" <<'RULES'
# Installed by lambda-endpoint's scripts/prepare-test-machine.sh for its tests.
Defaults!/usr/bin/bpftrace env_keep += "BPFTRACE_STRLEN BPFTRACE_PERF_RB_PAGES BPFTRACE_MAP_KEYS_MAX BPFTRACE_CAT_BYTES_MAX BPFTRACE_MAX_PROBES BPFTRACE_MAX_BPF_PROGS BPFTRACE_LOG_SIZE BPFTRACE_NO_CPP_DEMANGLE BPFTRACE_NO_USER_SYMBOLS BPFTRACE_CACHE_USER_SYMBOLS"
Defaults:lambda-pw lecture=never
lambda-nopw ALL=(root) NOPASSWD: /usr/bin/bpftrace, /usr/bin/stap
lambda-pw ALL=(root) PASSWD: /usr/bin/bpftrace, /usr/bin/stap
RULES
if ! as_root cmp -s "$rules" "$sudoers" 2>/dev/null; then
    as_root visudo -cqf "$rules"
    as_root install -m 0440 "$rules" "$sudoers"
fi
rm -f "$rules"

# Home-made test containers: cgroups <cgroup2 mount>/lambda-test-<pid>-<random>.slice and
# root directories $TMPDIR/lambda-test-<pid>-<random>.root, <pid> being the test process
# that made them. Each test removes its own; what a test process killed outright left is
# removed here, once that pid is gone (another checkout's tests may be running now: their
# containers belong to live pids and are left alone).
owner_gone() { # PATH [PREFIX, default lambda-test-]
    local name=${1##*/${2:-lambda-test-}}
    ! kill -0 "${name%%-*}" 2>/dev/null
}
cgroup2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
if [ -n "$cgroup2" ]; then
    for slice in "$cgroup2"/lambda-test-*.slice; do
        [ -d "$slice" ] && owner_gone "$slice" || continue
        echo 1 | as_root tee "$slice/cgroup.kill" >/dev/null 2>&1 || true
        for _ in $(seq 50); do grep -q '^populated 0' "$slice/cgroup.events" 2>/dev/null && break; sleep 0.1; done
        as_root find "$slice" -depth -type d -exec rmdir {} + 2>/dev/null || echo "prepare-test-machine: could not remove $slice" >&2
    done
else
    echo "prepare-test-machine: no cgroup2 mount in /proc/mounts; the container tests will fail" >&2
fi
for root in "${TMPDIR:-/tmp}"/lambda-test-*.root; do
    [ -d "$root" ] && owner_gone "$root" || continue
    as_root rm -rf -- "$root"
done

# The platform's test machinery (docs/testing.md, "PostgreSQL and haproxy in tests"):
# private PostgreSQL clusters $TMPDIR/lambda-pg-<pid>-<random> and haproxy directories
# $TMPDIR/lambda-haproxy-<pid>-<random>, <pid> being the test process. Its exit stops and
# removes them; what a test process killed outright left is removed here once that pid is
# gone: the postmaster stopped at once (pg_ctl of the cluster's own version, as the user
# owning it), haproxy killed if its recorded pid still runs that directory's config.
for cluster in "${TMPDIR:-/tmp}"/lambda-pg-*; do
    [ -d "$cluster" ] && owner_gone "$cluster" lambda-pg- || continue
    if [ -f "$cluster/data/postmaster.pid" ] && [ -f "$cluster/data/PG_VERSION" ]; then
        pg_ctl=/usr/lib/postgresql/$(cat "$cluster/data/PG_VERSION")/bin/pg_ctl
        as_root runuser -u "$(stat -c %U "$cluster/data")" -- "$pg_ctl" -D "$cluster/data" -m immediate -w stop >/dev/null 2>&1 ||
            echo "prepare-test-machine: could not stop the postmaster of $cluster" >&2
    fi
    as_root rm -rf -- "$cluster"
done
for balancer in "${TMPDIR:-/tmp}"/lambda-haproxy-*; do
    [ -d "$balancer" ] && owner_gone "$balancer" lambda-haproxy- || continue
    pid=$(cat "$balancer/haproxy.pid" 2>/dev/null || true)
    if [ -n "$pid" ] && tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -qF "$balancer/haproxy.cfg"; then
        as_root kill -KILL "$pid" || true
    fi
    as_root rm -rf -- "$balancer"
done

# Tracers' cgroups (<hierarchy>/lambda-endpoint/<run>) that an endpoint killed in a test
# could not remove: the empty ones go (a cgroup still holding a process is left alone),
# then the parents once empty.
for parent in /sys/fs/cgroup/*/lambda-endpoint "${cgroup2:-/nonexistent}"/lambda-endpoint; do
    [ -d "$parent" ] || continue
    for run in "$parent"/*/; do
        [ -d "$run" ] && as_root rmdir "$run" 2>/dev/null || true
    done
    as_root rmdir "$parent" 2>/dev/null || true
done
