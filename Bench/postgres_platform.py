"""The platform on PostgreSQL for `make bench`: a private cluster (Debian's postgresql,
initdb as the `postgres` user into the bench's directory, a free port, fsync on), N
`lambda-platform serve` instances on one database, Debian's haproxy (round robin, HTTP
mode) in front. Torn down by `close()`."""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def postgres_bin():
    versions = sorted(v for v in os.listdir("/usr/lib/postgresql") if os.path.exists(f"/usr/lib/postgresql/{v}/bin/initdb"))
    if not versions:
        raise SystemExit("bench: no /usr/lib/postgresql/*/bin/initdb (apt install postgresql; scripts/install-deps.sh does)")
    return f"/usr/lib/postgresql/{versions[-1]}/bin"


class PostgresCluster:
    def __init__(self):
        # Its own directory: the bench's is private to root (0700), and the server runs as
        # the `postgres` user.
        directory = tempfile.mkdtemp(prefix=f"lambda-pg-{os.getpid()}-")
        os.chmod(directory, 0o755)
        self.directory = directory
        self.data = os.path.join(directory, "data")
        self.socket = os.path.join(directory, "socket")
        os.makedirs(self.socket, exist_ok=True)
        shutil.chown(directory, "postgres")
        shutil.chown(self.socket, "postgres")
        self.bin = postgres_bin()
        self.port = free_port()
        self.as_postgres([f"{self.bin}/initdb", "-D", self.data, "-U", "postgres", "--auth-host=trust",
                          "--auth-local=trust", "-E", "UTF8"])
        self.as_postgres([f"{self.bin}/pg_ctl", "-D", self.data, "-l", os.path.join(directory, "postgres.log"),
                          "-o", f"-p {self.port} -k {self.socket} -c listen_addresses=127.0.0.1 -c max_connections=100",
                          "-w", "start"])

    def as_postgres(self, argv):
        subprocess.run(["runuser", "-u", "postgres", "--"] + argv, check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, cwd="/")

    def psql(self, sql, database="postgres"):
        return subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", database,
                               "-At", "-c", sql], check=True, capture_output=True, text=True).stdout.strip()

    def create_database(self, name):
        self.psql(f"CREATE DATABASE {name}")
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}?sslmode=disable"

    def close(self):
        subprocess.run(["runuser", "-u", "postgres", "--", f"{self.bin}/pg_ctl", "-D", self.data, "-m", "immediate",
                        "stop"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd="/")
        shutil.rmtree(self.directory, ignore_errors=True)


class Balancer:
    """haproxy on a free port, round robin over `ports`, foreground (-db)."""

    def __init__(self, directory, ports):
        self.port = free_port()
        config = os.path.join(directory, "haproxy.cfg")
        servers = "\n".join(f"    server instance{i} 127.0.0.1:{p} check inter 500ms fall 2 rise 1"
                            for i, p in enumerate(ports))
        with open(config, "w") as f:
            f.write(f"""global
    nbthread 1
defaults
    mode http
    timeout connect 2s
    timeout client 120s
    timeout server 120s
    option redispatch
    retries 3
frontend platform
    bind 127.0.0.1:{self.port}
    default_backend instances
backend instances
    balance roundrobin
{servers}
""")
        self.process = subprocess.Popen(["haproxy", "-db", "-f", config], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        raise SystemExit("bench: haproxy did not listen")

    def close(self):
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
