import Diagnostics
import EndpointTestSupport
import Foundation
import Hummingbird
import Testing

/// `lambda-endpoint doctor` run as an operator would, as root and as the test users,
/// against this machine's real bpftrace, sudo, tracefs and a live receiver.
@Suite("lambda-endpoint doctor")
struct DoctorTests {
    /// Runs `doctor --config DIR` as root or as a test user; returns exit code and lines.
    /// The wait happens off the Swift concurrency pool: the live receiver in this process
    /// needs that pool to answer the doctor's probe.
    func doctor(_ directory: TestConfigDirectory, as user: EndpointProcess.RunAs = .root) async throws -> (code: Int32?, lines: [String]) {
        let binary = try EndpointProcess.runnableBinary
        let process: SpawnedProcess
        if user == .root {
            process = try SpawnedProcess(executable: binary, arguments: ["doctor", "--config", directory.path])
        } else {
            try EndpointProcess.giveDirectory(directory.path, to: user.rawValue)
            process = try SpawnedProcess(
                executable: "/usr/bin/setpriv",
                arguments: ["--reuid", user.rawValue, "--regid", user.rawValue, "--init-groups", "--", binary, "doctor", "--config", directory.path]
            )
        }
        let code = await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: process.waitForExit(timeout: 90)) }
        }
        return (code, process.standardOutput.split(separator: "\n").map(String.init))
    }

    func line(_ lines: [String], _ name: String) -> String {
        lines.first { $0.contains("] \(name): ") } ?? "no \(name) line in \(lines)"
    }

    @Test("A healthy root host: every check ok, exit 0")
    func healthyRoot() async throws {
        let receiver = try await LiveReceiver()
        defer { receiver.stop() }
        let directory = try TestConfigDirectory(lambda: ["platform-url": receiver.url])
        defer { directory.remove() }
        let result = try await doctor(directory)
        #expect(result.code == 0, "\(result.lines)")
        #expect(
            result.lines.map { String($0.prefix { $0 != ":" }) } == [
                "[ok] config", "[ok] settings file", "[ok] database", "[ok] signatures", "[ok] tracer BPF", "[ok] sudo BPF",
                "[ok] tracer STAP", "[ok] sudo STAP", "[ok] tracefs", "[ok] uprobes", "[ok] tracer caps",
                "[ok] cgroup namespace", "[ok] containers", "[ok] analyses",
                "[WARN] analysis vfs-latency",
                "[ok] platform",
            ]
        )
        #expect(
            line(result.lines, "analyses")
                == "[ok] analyses: 8 of 9 available: syscalls, exec, open, tcp, block-io, cpu-profile, off-cpu, function-latency"
        )
        #expect(
            line(result.lines, "analysis vfs-latency")
                == "[WARN] analysis vfs-latency: unavailable: this kernel has no kprobes (neither /sys/kernel/tracing/kprobe_events nor /sys/bus/event_source/devices/kprobe exists) (fix: a kernel built with CONFIG_KPROBES and CONFIG_KPROBE_EVENTS)"
        )
        #expect(line(result.lines, "tracer BPF").hasPrefix("[ok] tracer BPF: /usr/bin/bpftrace: bpftrace v"))
        #expect(
            line(result.lines, "platform")
                == "[ok] platform: \(receiver.url)/submit reachable; Authorization accepted (answered 400 to an empty probe message)"
        )
        #expect(await receiver.store.traces().isEmpty, "the probe stored nothing")
    }

    @Test("signatures: WARN when unsigned requests are taken over plain HTTP on a non-loopback address; ok once they are required")
    func signatures() async throws {
        let receiver = try await LiveReceiver()
        defer { receiver.stop() }
        let open = try TestConfigDirectory(settings: ["host": "0.0.0.0"], lambda: ["platform-url": receiver.url])
        defer { open.remove() }
        let warned = try await doctor(open)
        #expect(
            line(warned.lines, "signatures")
                == "[WARN] signatures: unsigned requests are taken over plain HTTP on 0.0.0.0: a captured Authorization header can be replayed (fix: set require-signed-requests: true (the platform must sign its calls), or serve TLS (tls-certificate, tls-key))"
        )
        let required = try TestConfigDirectory(
            settings: ["host": "0.0.0.0"],
            lambda: ["platform-url": receiver.url, "require-signed-requests": "true"]
        )
        defer { required.remove() }
        #expect(
            line(try await doctor(required).lines, "signatures")
                == "[ok] signatures: every request must carry a Lambda-Signature (require-signed-requests)"
        )
    }

    @Test("Each failing verdict names the problem and a fix; exit 1")
    func failures() async throws {
        let directory = try TestConfigDirectory(
            lambda: ["bpf-path": "/nonexistent/bpftrace", "platform-url": "http://127.0.0.1:9"],
            databaseSection: "  database: /nonexistent/dir/lambda.sqlite3\n"
        )
        defer { directory.remove() }
        chmod(directory.lambdaSettingsFile, 0o644)
        let result = try await doctor(directory)
        #expect(result.code == 1)
        #expect(
            line(result.lines, "settings file")
                == "[FAIL] settings file: \(directory.lambdaSettingsFile) is readable by every user (mode 0644); it holds the secret. chmod 600 \(directory.lambdaSettingsFile) (fix: serve refuses to start so; chmod 600 and chown to the endpoint's user)"
        )
        #expect(
            line(result.lines, "database")
                == "[FAIL] database: directory /nonexistent/dir of /nonexistent/dir/lambda.sqlite3 does not exist (fix: create it, or set database.database in settings.yml)"
        )
        #expect(line(result.lines, "tracer BPF") == "[FAIL] tracer BPF: /nonexistent/bpftrace does not exist (fix: install bpftrace or set bpf-path)")
        #expect(line(result.lines, "uprobes") == "[FAIL] uprobes: not tried: /nonexistent/bpftrace is missing (fix: see the tracer BPF line)")
        #expect(line(result.lines, "platform").hasPrefix("[FAIL] platform: http://127.0.0.1:9/submit unreachable: "))
        #expect(line(result.lines, "tracer STAP").hasPrefix("[ok] "), "one bad tracer does not hide the other")
        #expect(line(result.lines, "analyses") == "[WARN] analyses: 0 of 9 available (fix: see the lines below)")
        #expect(
            line(result.lines, "analysis exec")
                == "[WARN] analysis exec: unavailable: the tracer /nonexistent/bpftrace (bpf-path) is not an executable file (fix: install bpftrace or set bpf-path)"
        )
    }

    @Test("A platform that does not know our secret: FAIL platform, 401")
    func platformRefusesAuthorization() async throws {
        let receiver = try await LiveReceiver()
        defer { receiver.stop() }
        let directory = try TestConfigDirectory(lambda: ["platform-url": receiver.url, "secret": "another-secret"])
        defer { directory.remove() }
        let result = try await doctor(directory)
        #expect(result.code == 1)
        #expect(
            line(result.lines, "platform")
                == "[FAIL] platform: \(receiver.url)/submit refused our Authorization (401) (fix: the platform must know this endpoint-uuid and secret)"
        )
    }

    @Test("An invalid config: one FAIL config line naming file and key, nothing else checked, exit 1")
    func invalidConfig() async throws {
        let directory = try TestConfigDirectory(lambda: ["submit-chunk-size": "big"])
        defer { directory.remove() }
        let result = try await doctor(directory)
        #expect(result.code == 1)
        #expect(
            result.lines == [
                "[FAIL] config: \(directory.lambdaSettingsFile): key 'submit-chunk-size': expected a whole number, got \"big\" (fix: correct the key named; every key is documented in the shipped files)"
            ]
        )
    }

    @Test("sudo -S: a wrong root-password fails sudo and uprobes, the right one passes; neither is ever shown")
    func sudoPassword() async throws {
        let receiver = try await LiveReceiver()
        defer { receiver.stop() }
        let wrongPassword = "wrong-\(UUID().uuidString)"
        let wrong = try TestConfigDirectory(lambda: ["platform-url": receiver.url, "root-password": wrongPassword])
        defer { wrong.remove() }
        let refused = try await doctor(wrong, as: .sudoPassword)
        #expect(refused.code == 1)
        #expect(
            line(refused.lines, "sudo BPF").hasPrefix("[FAIL] sudo BPF: sudo -S -l /usr/bin/bpftrace with root-password refused: "),
            "\(refused.lines)"
        )
        #expect(line(refused.lines, "uprobes").hasPrefix("[FAIL] uprobes: "), "\(refused.lines)")
        #expect(!refused.lines.joined().contains(wrongPassword))

        let password = try EndpointProcess.sudoPassword
        let right = try TestConfigDirectory(lambda: ["platform-url": receiver.url, "root-password": password])
        defer { right.remove() }
        let allowed = try await doctor(right, as: .sudoPassword)
        #expect(allowed.code == 0, "\(allowed.lines.map { $0.replacingOccurrences(of: password, with: "<password>") })")
        #expect(line(allowed.lines, "sudo BPF") == "[ok] sudo BPF: sudo -S with root-password may run /usr/bin/bpftrace")
        #expect(line(allowed.lines, "uprobes").hasPrefix("[ok] uprobes"))
        #expect(!allowed.lines.joined().contains(password))
    }

    @Test("A platform that answers 5xx: FAIL platform with the status")
    func platformServerError() async throws {
        let router = Router()
        router.put("submit") { _, _ -> HTTPResponse.Status in .serviceUnavailable }
        let server = await LoopbackServer(router: router, label: "platform-answering-503")
        defer { server.stop() }
        let url = "http://127.0.0.1:\(server.port)"
        let directory = try TestConfigDirectory(lambda: ["platform-url": url])
        defer { directory.remove() }
        let result = try await doctor(directory)
        #expect(result.code == 1)
        #expect(
            line(result.lines, "platform")
                == "[FAIL] platform: \(url)/submit answered 503 to an empty probe message (fix: check the platform's health)"
        )
    }

    @Test("Unprivileged: sudo and uprobes fail without a sudo rule, pass with one")
    func sudoRules() async throws {
        let receiver = try await LiveReceiver()
        defer { receiver.stop() }
        let without = try TestConfigDirectory(lambda: ["platform-url": receiver.url])
        defer { without.remove() }
        let refused = try await doctor(without, as: .noSudoRule)
        #expect(refused.code == 1)
        #expect(line(refused.lines, "sudo BPF").hasPrefix("[FAIL] sudo BPF: sudo -n -l /usr/bin/bpftrace refused: "), "\(refused.lines)")
        #expect(
            line(refused.lines, "uprobes").hasPrefix("[FAIL] uprobes: a 1-second bpftrace uprobe on /bin/bash:xmalloc exited 1"),
            "\(refused.lines)"
        )

        let with = try TestConfigDirectory(lambda: ["platform-url": receiver.url])
        defer { with.remove() }
        let allowed = try await doctor(with, as: .sudoNoPassword)
        #expect(allowed.code == 0, "\(allowed.lines)")
        #expect(line(allowed.lines, "sudo BPF") == "[ok] sudo BPF: sudo -n may run /usr/bin/bpftrace")
        #expect(line(allowed.lines, "uprobes").hasPrefix("[ok] uprobes"))
        // An unprivileged endpoint may not open a CPU-wide perf event itself; the root tracer may.
        #expect(line(allowed.lines, "analyses").contains("cpu-profile"), "\(allowed.lines)")
    }

    @Test(
        "Containers that cannot be traced as asked: WARN cgroup namespace for '..' paths, WARN containers for a claimed id and a subtree past the cap"
    )
    func containersUnseenOrCut() async throws {
        let tree = try FakeHostTree()
        let victim = String(repeating: "5eed", count: 16)
        let attacker = String(repeating: "bad0", count: 16)
        try tree.addProcess(1, cgroup: "/", makeCgroup: false)
        try tree.addProcess(50, cgroup: "/../../system.slice/ssh.service", makeCgroup: false)
        try tree.addProcess(300, cgroup: "/system.slice/docker-\(attacker).scope")
        try tree.addProcess(301, cgroup: "/system.slice/docker-\(attacker).scope/docker-\(victim).scope")
        try tree.addProcess(400, cgroup: "/system.slice/docker-\(victim).scope")
        for index in 0..<4100 { try tree.addCgroup("/system.slice/docker-\(attacker).scope/c\(index)") }
        var settings = tree.lambdaSettings
        settings["platform-url"] = "http://127.0.0.1:9"
        let directory = try TestConfigDirectory(lambda: settings)
        defer { directory.remove() }
        let result = try await doctor(directory)
        #expect(
            line(result.lines, "cgroup namespace")
                == "[WARN] cgroup namespace: 1 of 5 processes has a cgroup outside the endpoint's cgroup namespace (a path with '..'): its container cannot be listed or targeted (fix: run the endpoint in the host's cgroup namespace, e.g. docker run --cgroupns=host --pid=host)"
        )
        #expect(
            line(result.lines, "containers")
                == "[WARN] containers: 3 containers; container \(victim) is claimed by 2 unrelated cgroups (/system.slice/docker-\(victim).scope, /system.slice/docker-\(attacker).scope/docker-\(victim).scope): a target on it is refused; container \(attacker) has 4101 cgroups below its own, more than the 4096 a filter holds: a target on it leaves 6 untraced (fix: find which container named a cgroup after another's id; target a big container by narrower cgroups)"
        )
    }

    @Test("tracefs: mounted or not, read from /proc/mounts text")
    func tracefs() {
        let mounted = "sysfs /sys sysfs rw 0 0\nnodev /sys/kernel/tracing tracefs rw,relatime 0 0\n"
        #expect(Doctor.tracefs(mounts: mounted) == .ok("tracefs", "mounted"))
        #expect(Doctor.tracefs(mounts: "sysfs /sys sysfs rw 0 0\n").verdict == .failed)
        #expect(
            Doctor.tracefs(mounts: "sysfs /sys sysfs rw 0 0\n").line
                == "[FAIL] tracefs: not mounted (bpftrace attaches uprobes without it, but detaching them then fails) (fix: mount -t tracefs nodev /sys/kernel/tracing (and add it to /etc/fstab))"
        )
    }
}
