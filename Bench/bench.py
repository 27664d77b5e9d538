#!/usr/bin/env python3
"""`make bench`: the endpoint measured the way an operator would judge it.

Starts the release `lambda-endpoint serve --config DIR` and the reference
`lambda-test-receiver` on loopback, drives them over HTTP exactly as the platform would,
and prints one line per figure, `name: value unit`. Every baseline is measured in the
same run on the same machine. Figures only: nothing here passes or fails.

Needs root (the fake tracers are run directly, as for an endpoint running as root), wrk,
coreutils base64, socat (the baseline pipeline) and bpftrace (the real-tracer figures).
Usage: bench.py --bin DIR_WITH_RELEASE_BINARIES
"""

import argparse
import hashlib
import json
import os
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
FAST_WRITER = os.path.join(ROOT, "Tests/Fixtures/fake-tracer-fast-writer.sh")
EVENT_LINES = os.path.join(HERE, "fake-tracer-event-lines.sh")
SLOW = os.path.join(HERE, "fake-tracer-slow.sh")
QUARTER_WRITER = os.path.join(HERE, "fake-tracer-quarter-gib.sh")
TEST_CONFIG = os.path.join(ROOT, "scripts/test-config.py")
# What the fast writer prints: its ready line, then exactly 1 GiB.
READY_LINE = b'{"type": "value", "data": ["ready",1]}\n'
GIB = 1 << 30


def binary_line(path):
    """The line the endpoint writes after `ready`: `["binary", path, buildId, sha256]`."""
    notes = subprocess.run(["readelf", "-n", path], capture_output=True, text=True).stdout
    build_id = next((line.split(":")[-1].strip() for line in notes.splitlines() if "Build ID:" in line), None)
    with open(path, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    build = f'"{build_id}"' if build_id else "null"
    return f'{{"type": "value", "data": ["binary","{path}",{build},"{digest}"]}}\n'.encode()


# What the fast writer prints, and what a delivery of it carries: the template is on
# /bin/bash, so every stream also has the endpoint's binary line.
WRITTEN_BYTES = len(READY_LINE) + GIB
DELIVERED_BYTES = WRITTEN_BYTES + len(binary_line("/bin/bash"))
# The template every run uses; the fake tracers ignore the program they are given.
TEMPLATE = {"process": "/bin/bash", "functions": ["xmalloc"], "traceType": ["BPF"]}
UUID = "0b6d3f1e-5a2c-4e8b-9f7d-2c1a8e4b6d90"
SECRET = "bench-secret-not-for-production"
MB = 1_000_000


def lost_events(output):
    """The events bpftrace's `-f json` output says were lost (`{"type": "lost_events",
    "data": {"events": N}}` lines)."""
    return sum(int(n) for n in re.findall(rb'"type": "lost_events", "data": \{"events": (\d+)\}', output))


def figure(name, value, unit, note=""):
    if isinstance(value, float):
        value = f"{value:.1f}" if abs(value) >= 10 else f"{value:.2f}"
    print(f"{name}: {value} {unit}" + (f"  # {note}" if note else ""), flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port_file(path, process, where, timeout=60):
    """The port `lambda-endpoint serve --port-file` wrote (digits and a newline) once it
    listens; stops early if the process exited."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open(path) as f:
                text = f.read()
            if re.fullmatch(r"[0-9]+\n", text):
                return int(text)
        except FileNotFoundError:
            pass
        if process.poll() is not None:
            raise SystemExit(f"bench: the endpoint exited with {process.returncode} before listening ({where})")
        time.sleep(0.05)
    raise SystemExit(f"bench: no port in {path} after {timeout} s ({where})")


def proc_status(pid, key):
    """A kB figure from /proc/PID/status (VmRSS, VmHWM), in KiB."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return None


def children_cpu_seconds():
    """User+system CPU of every child process this one has waited for (and theirs)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def spread(values):
    """`median (min-max, N rounds)` for a figure's note."""
    shown = (lambda v: f"{v:.2f}") if any(isinstance(v, float) for v in values) else str
    return f"median of {len(values)} rounds, {shown(min(values))}-{shown(max(values))}"


def proc_cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks  # utime + stime


class Bench:
    def __init__(self, bin_dir, work):
        self.bin = bin_dir
        self.work = work
        self.receiver_port = free_port()
        self.received = os.path.join(work, "received")
        os.makedirs(self.received)
        config = self.config_dir("receiver-config", {})
        self.receiver = subprocess.Popen(
            [os.path.join(bin_dir, "lambda-test-receiver"), "--config", config, "--out", self.received,
             "--port", str(self.receiver_port)],
            stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, "receiver.log"), "wb"))
        self.wait_listening(self.receiver_port)
        self.endpoint = None

    # --- processes ---------------------------------------------------------------------

    def config_dir(self, name, lambda_overrides):
        """A config directory from scripts/test-config.py, the tests' own (port 0: the
        endpoint tells its port through --port-file). The receiver verifies the endpoints
        with the same uuid and secret, so they are fixed here, and go on standard input
        like any other override (the script's way for secrets)."""
        directory = os.path.join(self.work, name)
        lam = {
            "platform-url": f"http://127.0.0.1:{getattr(self, 'receiver_port', 1)}",
            "secret": SECRET,
            "endpoint-uuid": UUID,
            "bpf-path": FAST_WRITER,
            "log-level": "warning",
            "max-concurrent-runs": 16,
        }
        lam.update(lambda_overrides)
        # json.dumps: a JSON string or number is valid YAML, so values arrive as written.
        overrides = {"lambda": {key: json.dumps(value) for key, value in lam.items()}}
        subprocess.run([sys.executable, "-S", TEST_CONFIG, directory, "--stdin-json"],
                       input=json.dumps(overrides), text=True, check=True)
        return directory

    def start_endpoint(self, name, **overrides):
        self.stop_endpoint()
        directory = self.config_dir(name, {k.replace("_", "-"): v for k, v in overrides.items()})
        self.endpoint_dir = directory
        self.endpoint_log = open(os.path.join(directory, "endpoint.log"), "wb")
        port_file = os.path.join(directory, "port")
        self.endpoint = subprocess.Popen(
            [os.path.join(self.bin, "lambda-endpoint"), "serve", "--config", directory, "--port-file", port_file],
            stdout=self.endpoint_log, stderr=subprocess.STDOUT)
        self.port = wait_for_port_file(port_file, self.endpoint, f"see {directory}/endpoint.log")
        self.authorization = subprocess.run(
            [os.path.join(self.bin, "lambda-endpoint"), "auth-header", "--config", directory],
            check=True, capture_output=True, text=True).stdout.strip()
        self.trace_id = self.request("PUT", "/trace", TEMPLATE)["traceNo"]

    def stop_endpoint(self):
        if self.endpoint is None:
            return
        self.endpoint.send_signal(signal.SIGTERM)
        try:
            self.endpoint.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.endpoint.kill()
            self.endpoint.wait()
        self.endpoint = None
        shutil.rmtree(self.endpoint_dir, ignore_errors=True)

    def close(self):
        self.stop_endpoint()
        self.receiver.terminate()
        self.receiver.wait()

    def wait_listening(self, port, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        raise SystemExit(f"bench: nothing listens on port {port} after {timeout} s (see {self.work})")

    # --- HTTP ----------------------------------------------------------------------------

    def request(self, method, path, body=None, port=None):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"http://127.0.0.1:{port or self.port}{path}", data=data, method=method)
        request.add_header("Authorization", self.authorization)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(request, timeout=30) as response:
            raw = response.read()
        try:
            return json.loads(raw)
        except ValueError:
            return raw

    def start_run(self, lasting):
        return self.request("POST", "/trace/start", {"traceT": "BPF", "traceId": self.trace_id, "lasting": lasting})["filePath"]

    def received_status(self, file_path):
        for trace in self.request("GET", "/status", port=self.receiver_port):
            if trace["trace"] == file_path:
                return trace
        return None

    def received_path(self, file_path):
        return os.path.join(self.received, os.path.basename(file_path) + ".ndjson")

    # --- figures -------------------------------------------------------------------------

    def delivery(self, chunk_size, label):
        """1 GiB from the fast fake tracer to the receiver: start request to `finished`
        stored by the receiver (it stores before it acknowledges)."""
        self.start_endpoint(f"delivery-{label}", submit_chunk_size=chunk_size, bpf_path=FAST_WRITER,
                            max_spool_bytes=4 * GIB)
        pid = self.endpoint.pid
        cpu_before = proc_cpu_seconds(pid)
        began = time.monotonic()
        file_path = self.start_run(lasting=3600)
        while True:
            status = self.received_status(file_path)
            if status and status["verdict"] != "receiving":
                break
            if time.monotonic() - began > 600:
                raise SystemExit(f"bench: delivery with {chunk_size}-byte chunks did not finish in 600 s")
            time.sleep(0.02)
        seconds = time.monotonic() - began
        cpu = proc_cpu_seconds(pid) - cpu_before
        peak_kib = proc_status(pid, "VmHWM")
        if status["verdict"] != "complete" or status["bytes"] != DELIVERED_BYTES:
            raise SystemExit(f"bench: delivery went wrong: {status}")
        os.unlink(self.received_path(file_path))
        self.stop_endpoint()
        return DELIVERED_BYTES / seconds / MB, peak_kib / 1024, cpu * GIB / DELIVERED_BYTES, seconds

    def platform_delivery(self):
        """1 GiB from the fast fake tracer to the real `lambda-platform` (release, SQLite in
        the bench's directory: WAL, synchronous FULL, one commit per chunk): start request
        to `finished` committed; the platform's CPU and its database's size after. The
        run's stream is checked in the database itself (python's sqlite3, read only)."""
        import sqlite3
        directory = os.path.join(self.work, "platform")
        os.makedirs(directory, mode=0o700, exist_ok=True)
        with open(os.path.join(directory, "platform.yml"), "w") as f:
            f.write(f"host: 127.0.0.1\nport: 0\nretention-bytes: 1048576\nendpoints:\n  {UUID}:\n    secret: \"{SECRET}\"\n")
        os.chmod(os.path.join(directory, "platform.yml"), 0o600)
        port_file = os.path.join(directory, "port")
        platform = subprocess.Popen(
            [os.path.join(self.bin, "lambda-platform"), "serve", "--config", directory, "--port-file", port_file],
            stdout=subprocess.DEVNULL, stderr=open(os.path.join(directory, "platform.log"), "wb"))
        try:
            port = wait_for_port_file(port_file, platform, f"see {directory}/platform.log")
            self.start_endpoint("platform-delivery", bpf_path=FAST_WRITER, max_spool_bytes=4 * GIB,
                                platform_url=f"http://127.0.0.1:{port}")
            cpu_before = proc_cpu_seconds(platform.pid)
            began = time.monotonic()
            file_path = self.start_run(lasting=3600)
            database = sqlite3.connect(f"file:{directory}/platform.sqlite?mode=ro", uri=True, timeout=30)
            while True:
                row = database.execute("SELECT finished, bytes FROM runs WHERE file_path = ?", (file_path,)).fetchone()
                if row and row[0] is not None:
                    break
                if time.monotonic() - began > 900:
                    raise SystemExit("bench: delivery to lambda-platform did not finish in 900 s")
                time.sleep(0.05)
            seconds = time.monotonic() - began
            cpu = proc_cpu_seconds(platform.pid) - cpu_before
            database.close()
            if row[1] != DELIVERED_BYTES:
                raise SystemExit(f"bench: lambda-platform stored {row[1]} bytes, not {DELIVERED_BYTES}")
            self.stop_endpoint()
            return DELIVERED_BYTES / seconds / MB, cpu * GIB / DELIVERED_BYTES
        finally:
            platform.terminate()
            platform.wait()
            shutil.rmtree(directory, ignore_errors=True)

    def platform_postgres_delivery(self, instances, runs=4):
        """`runs` streams of 256 MiB at once (1 GiB in all) from one endpoint through
        haproxy (round robin) to `instances` lambda-platform processes (release) sharing
        one PostgreSQL database of a private cluster (fsync on): the start requests to every
        `finished` committed; the instances' CPU. Several streams, because one stream has
        one chunk in flight and could never use a second instance."""
        from postgres_platform import Balancer, PostgresCluster
        directory = os.path.join(self.work, f"postgres-{instances}")
        os.makedirs(directory, mode=0o755)
        cluster = PostgresCluster()
        platforms, balancer = [], None
        per_run = len(READY_LINE) + (256 << 20) + len(binary_line("/bin/bash"))
        try:
            url = cluster.create_database("bench")
            ports = []
            for i in range(instances):
                config = os.path.join(directory, f"instance{i}")
                os.makedirs(config, mode=0o700)
                with open(os.path.join(config, "platform.yml"), "w") as f:
                    f.write(f"host: 127.0.0.1\nport: 0\ndatabase: \"{url}\"\nretention-sweep-seconds: 86400\n"
                            f"endpoints:\n  {UUID}:\n    secret: \"{SECRET}\"\n")
                os.chmod(os.path.join(config, "platform.yml"), 0o600)
                port_file = os.path.join(config, "port")
                platforms.append(subprocess.Popen(
                    [os.path.join(self.bin, "lambda-platform"), "serve", "--config", config, "--port-file", port_file],
                    stdout=subprocess.DEVNULL, stderr=open(os.path.join(config, "platform.log"), "wb")))
                ports.append(wait_for_port_file(port_file, platforms[-1], f"see {config}/platform.log"))
            balancer = Balancer(directory, ports)
            self.start_endpoint(f"postgres-delivery-{instances}", bpf_path=QUARTER_WRITER, max_spool_bytes=4 * GIB,
                                platform_url=f"http://127.0.0.1:{balancer.port}")
            cpu_before = sum(proc_cpu_seconds(p.pid) for p in platforms)
            began = time.monotonic()
            for _ in range(runs):
                self.start_run(lasting=3600)
            while True:
                finished, stored = cluster.psql(
                    "SELECT COUNT(*) || ' ' || COALESCE(SUM(bytes), 0) FROM runs WHERE finished IS NOT NULL", "bench").split()
                if int(finished) == runs:
                    break
                if time.monotonic() - began > 900:
                    raise SystemExit("bench: delivery to lambda-platform on PostgreSQL did not finish in 900 s")
                time.sleep(0.1)
            seconds = time.monotonic() - began
            cpu = sum(proc_cpu_seconds(p.pid) for p in platforms) - cpu_before
            if int(stored) != runs * per_run:
                raise SystemExit(f"bench: lambda-platform stored {stored} bytes, not {runs * per_run}")
            self.stop_endpoint()
            return runs * per_run / seconds / MB, cpu * GIB / (runs * per_run)
        finally:
            for platform in platforms:
                platform.terminate()
                platform.wait()
            if balancer:
                balancer.close()
            cluster.close()
            shutil.rmtree(directory, ignore_errors=True)

    def baseline(self):
        """The same byte work as a delivery done by coreutils and socat: the fast fake
        tracer's 1 GiB `| tee RUNFILE | base64 -w0 | socat` over loopback TCP to
        `socat | base64 -d > OUTFILE`; wall time and the CPU of every process in it."""
        port = free_port()
        run_file = os.path.join(self.work, "baseline.run")
        out_file = os.path.join(self.work, "baseline.out")
        cpu_before = children_cpu_seconds()
        receiver = subprocess.Popen(
            ["bash", "-c", f"set -o pipefail; socat -u TCP-LISTEN:{port},bind=127.0.0.1,reuseaddr STDOUT | base64 -d > {out_file}"])
        # Not by connecting: socat takes the first connection as the stream.
        deadline = time.monotonic() + 10
        while f":{port:04X} " not in open("/proc/net/tcp").read():
            if time.monotonic() > deadline:
                raise SystemExit("bench: the baseline's socat does not listen")
            time.sleep(0.01)
        began = time.monotonic()
        subprocess.run(["bash", "-c", f"set -o pipefail; sh {FAST_WRITER} | tee {run_file} | base64 -w0 | socat -u STDIN TCP:127.0.0.1:{port}"],
                       check=True)
        if receiver.wait() != 0:
            raise SystemExit("bench: the baseline's receiving side failed")
        seconds = time.monotonic() - began
        cpu = children_cpu_seconds() - cpu_before
        same = subprocess.run(["cmp", "-s", run_file, out_file]).returncode == 0
        size = os.path.getsize(out_file)
        os.unlink(run_file)
        os.unlink(out_file)
        if not same or size != WRITTEN_BYTES:
            raise SystemExit(f"bench: the baseline pipeline did not copy the bytes ({size} bytes, identical: {same})")
        return WRITTEN_BYTES / seconds / MB, cpu * GIB / WRITTEN_BYTES

    def real_tracer(self, seconds=10, loops=3):
        """bpftrace at saturation: `loops` hot bash loops under uprobes on `xmalloc` and
        `xfree`, run for `seconds` through the endpoint to the receiver. Returns the
        endpoint's CPU over bpftrace's own in the same seconds, the events bpftrace
        reported lost, and the same program run by bpftrace straight into a file
        (the lost events it reports then)."""
        # No rate bound: this figure is about relaying bpftrace at saturation.
        self.start_endpoint("real-tracer", bpf_path="/usr/bin/bpftrace", max_spool_bytes=4 * GIB, max_events_per_second=100_000_000)
        self.trace_id = self.request("PUT", "/trace", {"process": "/bin/bash", "functions": ["xmalloc", "xfree"], "traceType": ["BPF"]})["traceNo"]
        hot = [subprocess.Popen(["/bin/bash", "-c", 'while :; do s=abc; s="${s}def$s"; done']) for _ in range(loops)]
        try:
            time.sleep(0.5)
            endpoint_cpu_before = proc_cpu_seconds(self.endpoint.pid)
            file_path = self.start_run(lasting=seconds)
            program_copy = os.path.join(self.work, "real-tracer.bt")
            tracer, tracer_cpu, began = None, 0.0, time.monotonic()
            while True:
                if tracer is None:
                    tracer = self.child_named("bpftrace")
                    program = os.path.splitext(file_path)[0] + ".bt"
                    if tracer and os.path.exists(program):
                        # The endpoint's program probes the binary through the descriptor it
                        # holds until the probes attach (`uprobe:/proc/<pid>/fd/<n>:...`), gone
                        # by the time the same program runs into a file: name the file itself.
                        # Without this the file run attached nothing and reported 0 lost events.
                        with open(program) as source, open(program_copy, "w") as copy:
                            copy.write(re.sub(r"/proc/\d+/fd/\d+", "/bin/bash", source.read()))
                if tracer:
                    try:
                        tracer_cpu = proc_cpu_seconds(tracer)
                    except OSError:
                        pass  # exited: its last reading stands
                status = self.received_status(file_path)
                if status and status["verdict"] != "receiving":
                    break
                if time.monotonic() - began > seconds + 120:
                    raise SystemExit("bench: the real-tracer run did not finish")
                time.sleep(0.02)
            endpoint_cpu = proc_cpu_seconds(self.endpoint.pid) - endpoint_cpu_before
            with open(self.received_path(file_path), "rb") as f:
                relayed = f.read()
            os.unlink(self.received_path(file_path))
            self.stop_endpoint()
            direct_file = os.path.join(self.work, "real-tracer-direct.ndjson")
            with open(direct_file, "wb") as out:
                subprocess.run(["/usr/bin/bpftrace", "-f", "json", program_copy], stdout=out, stderr=subprocess.DEVNULL, check=False)
            with open(direct_file, "rb") as f:
                direct = f.read()
            os.unlink(direct_file)
        finally:
            for loop in hot:
                loop.kill()
                loop.wait()
        return endpoint_cpu / tracer_cpu, lost_events(relayed), lost_events(direct), len(relayed), tracer_cpu

    @staticmethod
    def hot_loop(seconds):
        """One hot bash loop calling xmalloc/xfree, counting its iterations for `seconds`."""
        return subprocess.Popen(
            ["/bin/bash", "-c", f'n=0; end=$((SECONDS+{seconds})); while [ $SECONDS -lt $end ]; do s=abc; s="${{s}}def$s"; n=$((n+1)); done; echo $n'],
            stdout=subprocess.PIPE, text=True)

    def rate_bound(self, max_events_per_second, seconds=10):
        """One hot bash loop's iterations in `seconds`, traced through the endpoint by uprobes
        on xmalloc/xfree under `max_events_per_second` (the default rate-limit-seconds);
        with the events the stream holds and, when the run stopped itself, for how long it
        recorded events (None: it did not)."""
        self.start_endpoint("rate-bound", bpf_path="/usr/bin/bpftrace", max_events_per_second=max_events_per_second)
        self.trace_id = self.request("PUT", "/trace", {"process": "/bin/bash", "functions": ["xmalloc", "xfree"], "traceType": ["BPF"]})["traceNo"]
        file_path = self.start_run(lasting=seconds + 5)
        deadline = time.monotonic() + 30
        while self.request("GET", "/traces/running/all")[0]["state"] != "running":
            if time.monotonic() > deadline:
                raise SystemExit("bench: the rate-bound run did not become ready")
            time.sleep(0.05)
        loop = self.hot_loop(seconds)
        iterations = int(loop.communicate()[0])
        self.request("POST", "/trace/kill", {"killPath": file_path})
        while (status := self.received_status(file_path)) is None or status["verdict"] == "receiving":
            time.sleep(0.05)
        events, stamps, stopped = 0, [], False
        with open(self.received_path(file_path), "rb") as f:
            for line in f:
                if not line.strip():
                    continue
                data = json.loads(line)
                if data["type"] == "value" and data["data"][0] in ("entry", "return"):
                    events += 1
                    stamps.append(data["data"][7])  # nsecs
                elif data["type"] == "value" and data["data"][0] == "rate-limit":
                    stopped = True
        os.unlink(self.received_path(file_path))
        self.stop_endpoint()
        # How long the loop was traced: its first event to its last (bpftrace's clock).
        traced_seconds = (max(stamps) - min(stamps)) / 1e9 if stamps else 0.0
        return iterations, events, traced_seconds if stopped else None

    def child_named(self, name):
        """The pid of the endpoint's child process called `name`, if any."""
        for tasks in os.listdir(f"/proc/{self.endpoint.pid}/task"):
            with open(f"/proc/{self.endpoint.pid}/task/{tasks}/children") as f:
                for pid in f.read().split():
                    try:
                        with open(f"/proc/{pid}/comm") as comm:
                            if comm.read().strip() == name:
                                return int(pid)
                    except OSError:
                        pass
        return None

    def base64_rate(self):
        """coreutils `base64 -w0` over the same bytes the fake tracer writes."""
        sample = os.path.join(self.work, "sample.ndjson")
        subprocess.run(["sh", FAST_WRITER], stdout=open(sample, "wb"), check=True)
        best = None
        for _ in range(2):  # the first pass may still find the file leaving the page cache
            began = time.monotonic()
            subprocess.run(["base64", "-w0", sample], stdout=subprocess.DEVNULL, check=True)
            seconds = time.monotonic() - began
            best = seconds if best is None else min(best, seconds)
        size = os.path.getsize(sample)
        os.unlink(sample)
        return size / best / MB

    def wrk(self, path, authorized, seconds=10, connections=64):
        command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s"]
        if authorized:
            command += ["-H", f"Authorization: {self.authorization}"]
        output = subprocess.run(command + [f"http://127.0.0.1:{self.port}{path}"],
                                check=True, capture_output=True, text=True).stdout
        total = int(re.search(r"(\d+) requests in ([\d.]+)(\w+)", output).group(1))
        duration_match = re.search(r"requests in ([\d.]+)(m?s|m)\b", output)
        duration = float(duration_match.group(1)) * {"s": 1, "ms": 0.001, "m": 60}[duration_match.group(2)]
        non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
        errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
        failed = int(non_2xx.group(1)) if non_2xx else 0
        p99 = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)$", output, re.M)
        p99_ms = float(p99.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[p99.group(2)] if p99 else float("nan")
        return {"rps": (total - failed) / duration, "failed": failed, "total": total, "p99_ms": p99_ms,
                "socket_errors": sum(int(x) for x in errors.groups()) if errors else 0}

    def event_latency(self, flush_interval):
        """Each line of a fake tracer that prints one line every 400 ms, from the moment it
        printed it (its own timestamp) to the receiver's file holding it."""
        self.start_endpoint("latency", bpf_path=EVENT_LINES, submit_flush_interval=flush_interval)
        file_path = self.start_run(lasting=60)
        path = self.received_path(file_path)
        latencies, seen, deadline = [], 0, time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                size = os.path.getsize(path)
            except FileNotFoundError:
                size = 0
            if size > seen:
                now = time.time_ns()
                with open(path, "rb") as f:
                    f.seek(seen)
                    fresh = f.read(size - seen)
                complete = fresh[: fresh.rfind(b"\n") + 1]
                for line in complete.splitlines():
                    data = json.loads(line)["data"]
                    if data[0] == "event":
                        latencies.append((now - data[2]) / 1e6)
                seen += len(complete)
                status = self.received_status(file_path)
                if status and status["verdict"] != "receiving":
                    break
            else:
                status = self.received_status(file_path) if len(latencies) >= 20 else None
                if status and status["verdict"] != "receiving":
                    break
                time.sleep(0.001)
        self.stop_endpoint()
        if not latencies:
            raise SystemExit("bench: no event reached the receiver")
        return latencies

    def concurrent_runs(self, count):
        self.start_endpoint("concurrent", bpf_path=SLOW, max_concurrent_runs=count)
        baseline_kib = proc_status(self.endpoint.pid, "VmRSS")
        paths = [self.start_run(lasting=120) for _ in range(count)]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            running = self.request("GET", "/traces/running/all")
            if len(running) == count:
                break
            time.sleep(0.2)
        time.sleep(3)  # a few ticks of output and deliveries per run
        running = len(self.request("GET", "/traces/running/all"))
        rss_kib = proc_status(self.endpoint.pid, "VmRSS")
        peak_kib = proc_status(self.endpoint.pid, "VmHWM")
        threads = len(os.listdir(f"/proc/{self.endpoint.pid}/task"))
        for path in paths:
            self.request("POST", "/trace/kill", {"killPath": path})
        self.stop_endpoint()
        return running, rss_kib / 1024, peak_kib / 1024, baseline_kib / 1024, threads


GROUPS = ["base64", "delivery", "platform", "postgres", "real-tracer", "rate-bound", "http", "flood", "latency", "concurrency"]


DELIVERY_ROUNDS = 3


def report_delivery(bench, base64_mb_s):
    """The baseline and both chunk sizes, interleaved round by round (this machine's speed
    drifts between minutes), medians of each."""
    rounds = {"baseline": [], "51200": [], "1mib": []}
    for _ in range(DELIVERY_ROUNDS):
        rounds["baseline"].append(bench.baseline())
        rounds["51200"].append(bench.delivery(51200, "51200"))
        rounds["1mib"].append(bench.delivery(1 << 20, "1mib"))
    baseline_mb_s = statistics.median(r[0] for r in rounds["baseline"])
    baseline_cpu = statistics.median(r[1] for r in rounds["baseline"])
    figure("baseline_mb_s", baseline_mb_s, "MB/s",
           f"tee | base64 -w0 | socat, socat | base64 -d, 1 GiB; {spread([r[0] for r in rounds['baseline']])}")
    figure("baseline_cpu_s_per_gib", baseline_cpu, "s", "every process of the pipeline")
    cpu = {}
    for label, chunk in (("51200", 51200), ("1mib", 1 << 20)):
        runs = rounds[label]
        mb_s = statistics.median(r[0] for r in runs)
        cpu[label] = statistics.median(r[2] for r in runs)
        figure(f"delivery_mb_s_chunk_{label}", mb_s, "MB/s", spread([r[0] for r in runs]) + ("; target >= 80" if chunk == 51200 else ""))
        figure(f"delivery_vs_baseline_{label}", mb_s / baseline_mb_s, "ratio", "target >= 0.8" if chunk == 51200 else "target >= 1.0")
        figure(f"endpoint_cpu_s_per_gib_{label}", cpu[label], "s", spread([r[2] for r in runs]))
        figure(f"endpoint_peak_rss_mib_chunk_{label}", max(r[1] for r in runs), "MiB", "the most of the rounds" + ("; target <= 64" if chunk != 51200 else ""))
    figure("delivery_vs_base64", statistics.median(r[0] for r in rounds["1mib"]) / base64_mb_s, "ratio", "1 MiB chunks")
    extra_chunks = -(-DELIVERED_BYTES // 51200) - -(-DELIVERED_BYTES // (1 << 20))
    figure("per_chunk_overhead_us", (cpu["51200"] - cpu["1mib"]) * DELIVERED_BYTES / GIB * 1e6 / extra_chunks, "us",
           f"endpoint CPU difference over the {extra_chunks} extra chunks of 51200 bytes; target <= 60")


REAL_TRACER_ROUNDS = 3


def report_real_tracer(bench):
    """Rounds of a relayed run then the same program straight to a file: at saturation
    bpftrace's lost events swing by a factor of several between runs of the same thing,
    so one pair compares noise."""
    rounds = [bench.real_tracer() for _ in range(REAL_TRACER_ROUNDS)]
    ratios = [r[0] for r in rounds]
    relayed = [r[1] for r in rounds]
    direct = [r[2] for r in rounds]
    rate = statistics.median(r[3] for r in rounds) / 10 / MB
    tracer_cpu = statistics.median(r[4] for r in rounds)
    figure("endpoint_vs_tracer_cpu", statistics.median(ratios), "ratio",
           f"3 hot bash loops under uprobes on xmalloc/xfree, 10 s, {rate:.1f} MB/s of bpftrace output, bpftrace {tracer_cpu:.2f} CPU-s; "
           f"{spread(ratios)}; target <= 0.2")
    figure("tracer_lost_events_relayed", statistics.median(relayed), "events",
           f"bpftrace's lost_events through the endpoint; {spread(relayed)}")
    figure("tracer_lost_events_to_file", statistics.median(direct), "events",
           f"the same program, bpftrace writing to a file; {spread(direct)}")
    figure("tracer_lost_events_relayed_vs_file", statistics.median(relayed) / max(1, statistics.median(direct)), "ratio",
           "medians; target <= 1")


def report_rate_bound(bench):
    """The slowdown of a traced hot program with and without the event-rate bound
    (docs/guardrails.md): its iterations untraced, traced unbounded, and traced under
    the default max-events-per-second (10000, stopping after rate-limit-seconds 5)."""
    seconds = 10
    loop = Bench.hot_loop(seconds)
    untraced = int(loop.communicate()[0])
    unbounded, unbounded_events, _ = bench.rate_bound(100_000_000, seconds)
    bounded, bounded_events, stopped = bench.rate_bound(10_000, seconds)
    figure("traced_events_per_second_unbounded", unbounded_events / seconds, "events/s",
           f"one hot bash loop under uprobes on xmalloc/xfree, {seconds} s, as relayed")
    figure("traced_event_cost_us", seconds * 1e6 / max(1, unbounded_events), "us/event",
           "the traced loop's time per event recorded (it runs flat out: all its time is its own or the probes')")
    figure("traced_slowdown_unbounded", untraced / max(1, unbounded), "ratio",
           f"iterations untraced over traced, {seconds} s ({untraced} vs {unbounded})")
    figure("traced_slowdown_rate_bound", untraced / max(1, bounded), "ratio",
           f"the same under max-events-per-second 10000 (default), rate-limit-seconds 5 (default): "
           f"{bounded_events} events, the run stopped itself {'after %.1f s of events' % stopped if stopped is not None else 'never'}")


def report_postgres(bench):
    # Interleaved rounds: one instance, two, one, two (the machine's rate drifts).
    rounds = {1: [], 2: []}
    for _ in range(2):
        for instances in (1, 2):
            rounds[instances].append(bench.platform_postgres_delivery(instances))
    for instances, results in rounds.items():
        rates = [rate for rate, _ in results]
        figure(f"platform_pg_ingest_mb_s_{instances}_instance{'s' if instances > 1 else ''}", statistics.median(rates), "MB/s",
               f"4 streams of 256 MiB at once through haproxy to {instances} lambda-platform on one PostgreSQL; {spread(rates)}")
        cpus = [cpu for _, cpu in results]
        figure(f"platform_pg_cpu_s_per_gib_{instances}_instance{'s' if instances > 1 else ''}", statistics.median(cpus), "s",
               f"the instances' own CPU (PostgreSQL's not counted); {spread(cpus)}")


def report_http(bench):
    bench.start_endpoint("http")
    # Alternating rounds: this machine's rate drifts by a quarter between runs of the
    # same thing, and the ratio should compare like with like.
    heartbeats, authorizeds = [], []
    for _ in range(2):
        heartbeats.append(bench.wrk("/heartbeat", authorized=False))
        authorizeds.append(bench.wrk("/traces", authorized=True))
    heartbeat_rps = statistics.mean(r["rps"] for r in heartbeats)
    auth_rps = statistics.mean(r["rps"] for r in authorizeds)
    figure("heartbeat_rps", heartbeat_rps, "req/s", "wrk 64 connections, 2 rounds of 10 s alternating with auth")
    figure("auth_rps", auth_rps, "req/s", f"GET /traces; {sum(r['failed'] for r in authorizeds)} non-2xx")
    figure("auth_vs_heartbeat", auth_rps / heartbeat_rps, "ratio", "target >= 0.7")
    figure("auth_p99_ms", max(r["p99_ms"] for r in authorizeds), "ms", "worse of the 2 rounds")

    bench.start_endpoint("argon2", auth_cache_size=0)
    uncached = bench.wrk("/traces", authorized=True)
    figure("argon2_per_request_rps", uncached["rps"], "req/s",
           f"auth-cache-size 0; {uncached['failed']} of {uncached['total']} answered 503 (verification queue full)")


def report_auth_flood(bench):
    """A flood of requests whose Authorization is well formed but wrong (each costs an
    argon2 verification, the most expensive refusal), 64 connections, while a
    well-behaved client with a valid header keeps asking, 4 connections."""
    bench.start_endpoint("flood")
    alone = bench.wrk("/traces", authorized=True, connections=4)
    wrong_hash = subprocess.run(["argon2", "saltsaltsalt", "-i", "-t", "3", "-m", "12", "-p", "1", "-e"],
                                input="not-the-secret", capture_output=True, text=True, check=True).stdout.strip()
    flood = subprocess.Popen(
        ["wrk", "-t1", "-c64", "-d12s", "--timeout", "10s", "-H", f"Authorization: {UUID}{wrong_hash}",
         f"http://127.0.0.1:{bench.port}/traces"], stdout=subprocess.PIPE, text=True)
    time.sleep(1)
    good = bench.wrk("/traces", authorized=True, connections=4)
    flood_output = flood.communicate()[0]
    flood_total = re.search(r"(\d+) requests in", flood_output)
    figure("auth_flood_good_rps", good["rps"], "req/s",
           f"valid client during a wrong-hash flood; {alone['rps']:.0f} alone; {good['failed']} of {good['total']} not 2xx")
    figure("auth_flood_good_p99_ms", good["p99_ms"], "ms", f"{alone['p99_ms']:.1f} alone")
    figure("auth_flood_requests", int(flood_total.group(1)) if flood_total else 0, "requests",
           "wrong-hash requests answered (401, or 503 when the verification queue is full) in 12 s")


def report_latency(bench):
    latencies = bench.event_latency(0.05)
    figure("first_event_latency_ms", statistics.median(latencies), "ms",
           f"median of {len(latencies)} lines, submit-flush-interval 0.05 s; target <= 175")
    figure("first_event_latency_max_ms", max(latencies), "ms")


def report_concurrency(bench):
    running, rss, peak, idle, threads = bench.concurrent_runs(200)
    figure("concurrent_runs_200_rss_mib", rss, "MiB",
           f"{running} running, {threads} threads, idle {idle:.0f} MiB, peak {peak:.0f} MiB; target < 256")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True, help="directory of the release binaries")
    parser.add_argument("--work", help="scratch directory (default: a new one under /tmp)")
    parser.add_argument("--only", help="comma-separated groups of figures: " + ",".join(GROUPS))
    arguments = parser.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("bench: run as root (the fake tracers are started as by an endpoint running as root)")
    work = arguments.work or tempfile.mkdtemp(prefix="lambda-bench-")
    bench = Bench(arguments.bin, work)
    try:
        cpu = subprocess.run(["sh", "-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"],
                             capture_output=True, text=True).stdout.strip()
        print(f"# machine: {os.cpu_count()} cores, {cpu}, {os.sysconf('SC_PHYS_PAGES') * os.sysconf('SC_PAGE_SIZE') >> 30} GiB;"
              f" kernel {os.uname().release}; MB = 10^6 bytes", flush=True)

        groups = arguments.only.split(",") if arguments.only else GROUPS
        base64_mb_s = None
        if "base64" in groups or "delivery" in groups:
            base64_mb_s = bench.base64_rate()
            figure("base64_mb_s", base64_mb_s, "MB/s", "coreutils base64 -w0, 1 GiB")
        if "delivery" in groups:
            report_delivery(bench, base64_mb_s)
        if "platform" in groups:
            mb_s, cpu = bench.platform_delivery()
            figure("platform_ingest_mb_s_chunk_51200", mb_s, "MB/s",
                   "1 GiB to lambda-platform on SQLite (a commit and an fsync per chunk), start to finished committed")
            figure("platform_cpu_s_per_gib", cpu, "s", "lambda-platform's own CPU for that GiB")
        if "postgres" in groups:
            report_postgres(bench)
        if "real-tracer" in groups:
            report_real_tracer(bench)
        if "rate-bound" in groups:
            report_rate_bound(bench)
        if "http" in groups:
            report_http(bench)
        if "flood" in groups:
            report_auth_flood(bench)
        if "latency" in groups:
            report_latency(bench)
        if "concurrency" in groups:
            report_concurrency(bench)
    finally:
        bench.close()
        if not arguments.work:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
