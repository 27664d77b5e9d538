import Authentication
import EndpointConfig
import Foundation
import HostSystem
import NIOCore
import Runs
import Submitter
import TraceModel

/// `lambda-endpoint doctor`: what an operator checks on a host before trusting the
/// endpoint with a trace. Each check gives one line; a failed one makes the exit
/// status non-zero. Nothing here changes the host for good (the database is not created,
/// no trace reaches the platform; the uprobe and tracer-cgroup checks undo what they try).
public struct Doctor: Sendable {
    public let configuration: EndpointConfiguration
    public let directory: String

    public init(configuration: EndpointConfiguration, directory: String) {
        self.configuration = configuration
        self.directory = directory
    }

    public func run() async -> [DoctorCheck] {
        let lambda = configuration.lambda
        var checks = [settingsFile(), database(), Self.signatures(server: configuration.server, lambda: lambda)]
        let privilege = TracerPrivilege.forCurrentUser(rootPassword: lambda.rootPassword)
        for tracer in TracerType.allCases {
            let path = tracer == .bpf ? lambda.bpfPath : lambda.stapPath
            let present = Self.tracerBinary(tracer, path: path)
            checks.append(present)
            if present.verdict == .ok { checks.append(Self.sudo(tracer, path: path, privilege: privilege)) }
        }
        checks.append(Self.tracefs(mounts: (try? String(contentsOfFile: "/proc/mounts", encoding: .utf8)) ?? ""))
        checks.append(uprobes(privilege: privilege))
        checks.append(
            Self.tracerCaps(privilege: privilege, caps: TracerCgroup.Caps(cpuPercent: lambda.tracerCPUPercent, memoryMiB: lambda.tracerMemoryMiB))
        )
        checks += Self.containers(ContainerInventory(locations: ContainerInventory.Locations(settings: lambda)).readSnapshot())
        checks += Self.analyses(on: TracingHost(settings: lambda))
        checks.append(await platform())
        return checks
    }

    func settingsFile() -> DoctorCheck {
        let path = directory + "/" + EndpointConfiguration.lambdaFileName
        switch SettingsFileAccess.check(path: path) {
        case .fine: return .ok("settings file", "\(path) is private to its owner")
        case .warning(let reason): return .warning("settings file", reason, fix: "chmod 600 \(path)")
        case .refused(let reason):
            return .failed("settings file", reason, fix: "serve refuses to start so; chmod 600 and chown to the endpoint's user")
        }
    }

    /// Writable without opening it: opening would create and migrate a new database.
    func database() -> DoctorCheck {
        let path = configuration.server.databasePath
        let folder = (path as NSString).deletingLastPathComponent
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            return .failed("database", "directory \(folder) of \(path) does not exist", fix: "create it, or set database.database in settings.yml")
        }
        // SQLite's WAL mode writes -wal and -shm files beside the database.
        guard access(folder, W_OK) == 0 else {
            return .failed("database", "directory \(folder) is not writable by this user", fix: "chown the directory to the endpoint's user")
        }
        if FileManager.default.fileExists(atPath: path) {
            guard access(path, R_OK | W_OK) == 0 else {
                return .failed("database", "\(path) is not readable and writable by this user", fix: "chown it to the endpoint's user")
            }
            return .ok("database", "\(path) is writable")
        }
        return .ok("database", "\(path) will be created at the first start")
    }

    static func tracerBinary(_ tracer: TracerType, path: String) -> DoctorCheck {
        let name = "tracer \(tracer.rawValue)"
        let setting = tracer == .bpf ? "bpf-path" : "stap-path"
        guard FileManager.default.fileExists(atPath: path) else {
            return .failed(name, "\(path) does not exist", fix: "install \(tracer == .bpf ? "bpftrace" : "systemtap") or set \(setting)")
        }
        guard access(path, X_OK) == 0 else {
            return .failed(name, "\(path) is not executable by this user", fix: "check its mode, or set \(setting)")
        }
        let version = CommandRunner.run(path, ["--version"], timeout: .seconds(10))
        let firstLine = version.output.split(separator: "\n").first.map(String.init) ?? ""
        guard version.code == 0, !firstLine.isEmpty else {
            return .failed(
                name,
                "\(path) --version failed (\(version.code.map { "exit \($0)" } ?? "did not finish")): \(firstLine.prefix(200))",
                fix: "reinstall it"
            )
        }
        return .ok(name, "\(path): \(firstLine.prefix(200))")
    }

    /// Whether this user may run the tracer as root the way the endpoint will.
    static func sudo(_ tracer: TracerType, path: String, privilege: TracerPrivilege) -> DoctorCheck {
        let name = "sudo \(tracer.rawValue)"
        let rule = "a sudoers rule '<user> ALL=(root) NOPASSWD: \(path)' (docs/operating.md: running the endpoint as an unprivileged user)"
        switch privilege {
        case .root:
            return .ok(name, "the endpoint runs as root and starts \(path) directly")
        case .sudoWithoutPassword:
            let outcome = CommandRunner.run(TracerInvocation.sudoPath, ["-n", "-l", path], timeout: .seconds(10))
            guard outcome.code == 0 else {
                return .failed(
                    name,
                    "sudo -n -l \(path) refused: \(Self.lastLine(outcome.output))",
                    fix: rule + ", or set root-password for a PASSWD rule"
                )
            }
            return .ok(name, "sudo -n may run \(path)")
        case .sudoWithPassword(let password):
            // The password goes through stdin, as for a run: never in argv.
            let outcome = CommandRunner.run(
                TracerInvocation.sudoPath,
                ["-k", "-S", "-p", "", "-l", path],
                input: Array((password + "\n").utf8),
                timeout: .seconds(10)
            )
            guard outcome.code == 0 else {
                return .failed(
                    name,
                    "sudo -S -l \(path) with root-password refused: \(Self.lastLine(outcome.output))",
                    fix: "check root-password and " + rule.replacingOccurrences(of: "NOPASSWD", with: "PASSWD")
                )
            }
            return .ok(name, "sudo -S with root-password may run \(path)")
        }
    }

    /// From the text of /proc/mounts.
    /// Whether each tracer will run in a cgroup of its own under the caps: tried for real
    /// as root (a cgroup made with the caps and removed); through sudo they are not applied.
    static func tracerCaps(privilege: TracerPrivilege, caps: TracerCgroup.Caps) -> DoctorCheck {
        let name = "tracer caps"
        guard privilege == .root else {
            return .warning(
                name,
                "not applied: through sudo the endpoint cannot write the host's cgroups, so tracers run without tracer-cpu-percent and tracer-memory-mib",
                fix: "run the endpoint as root to cap each tracer's CPU and memory"
            )
        }
        let mounts = (try? String(contentsOfFile: "/proc/mounts", encoding: .utf8)) ?? ""
        do throws(TracerCgroup.Failure) {
            let cgroup = try TracerCgroup.make(name: "doctor-\(getpid())", caps: caps, mounts: mounts)
            cgroup.remove()
            return .ok(
                name,
                "each tracer runs in a cgroup of its own: \(caps.cpuPercent)% of a core, \(caps.memoryMiB) MiB (\(cgroup.directories.joined(separator: ", ")))"
            )
        } catch {
            return .failed(
                name,
                "cannot make a tracer's cgroup: \(error.description); tracers would run uncapped",
                fix: "check the cgroup mounts (cpu and memory controllers)"
            )
        }
    }

    public static func tracefs(mounts: String) -> DoctorCheck {
        let mounted = mounts.split(separator: "\n").contains { line in
            let fields = line.split(separator: " ")
            return fields.count >= 3 && fields[2] == "tracefs"
        }
        guard mounted else {
            return .failed(
                "tracefs",
                "not mounted (bpftrace attaches uprobes without it, but detaching them then fails)",
                fix: "mount -t tracefs nodev /sys/kernel/tracing (and add it to /etc/fstab)"
            )
        }
        return .ok("tracefs", "mounted")
    }

    /// One second of a real uprobe on /bin/bash, started exactly as a run would be.
    func uprobes(privilege: TracerPrivilege) -> DoctorCheck {
        let lambda = configuration.lambda
        guard FileManager.default.isExecutableFile(atPath: lambda.bpfPath) else {
            return .failed("uprobes", "not tried: \(lambda.bpfPath) is missing", fix: "see the tracer BPF line")
        }
        let template = TraceTemplate(process: "/bin/bash", functions: ["xmalloc"], traceType: ["BPF"])
        let program: TracerProgramFile
        do {
            let path = TracerProgramFile.path(forRun: lambda.traceDirectory + "/doctor-\(UUID().uuidString.lowercased()).trace", tracer: .bpf)
            program = try TracerProgramFile(writing: TracerProgram.text(for: template, tracer: .bpf, lastingSeconds: 1), to: path)
        } catch {
            return .failed("uprobes", "not tried: cannot write the program file: \(error)", fix: "check trace-dir")
        }
        defer { program.remove() }
        let invocation = TracerInvocation(
            template: template,
            tracer: .bpf,
            programFile: program.path,
            tracerPath: lambda.bpfPath,
            privilege: privilege
        )
        let outcome = CommandRunner.run(
            invocation.executable,
            invocation.arguments,
            environment: invocation.environment,
            input: invocation.standardInput,
            timeout: .seconds(30)
        )
        guard outcome.code == 0, outcome.output.contains(#""ready""#) else {
            return .failed(
                "uprobes",
                "a 1-second bpftrace uprobe on /bin/bash:xmalloc \(outcome.code.map { "exited \($0)" } ?? "did not finish in 30 s"): \(Self.lastLine(outcome.output))",
                fix: "check the sudo and tracefs lines; the kernel needs CONFIG_UPROBES and BPF"
            )
        }
        return .ok("uprobes", "a 1-second bpftrace uprobe on /bin/bash:xmalloc attached and ended cleanly")
    }

    /// Which analyses this host can run (checked as `GET /analyses` checks them), and for
    /// each of the others why not and what would fix it. An analysis the kernel cannot
    /// support is a warning, not a failure: the endpoint serves everything else.
    public static func analyses(on host: TracingHost) -> [DoctorCheck] {
        let availabilities = host.availability(of: AnalysisCatalogue.all)
        let available = availabilities.filter(\.isAvailable).map(\.name)
        var checks: [DoctorCheck] = []
        let summary = "\(available.count) of \(availabilities.count) available"
        if available.isEmpty {
            checks.append(.warning("analyses", summary, fix: "see the lines below"))
        } else {
            checks.append(.ok("analyses", "\(summary): \(available.joined(separator: ", "))"))
        }
        for availability in availabilities where !availability.isAvailable {
            checks.append(
                .warning(
                    "analysis \(availability.name)",
                    "unavailable: \(availability.unavailableReason ?? "")",
                    fix: availability.unmet.map(\.fix).joined(separator: "; ")
                )
            )
        }
        return checks
    }

    /// PUT <platform-url>/submit with `{}` and our Authorization: a platform that checks
    /// the header first answers 401/403 to a wrong one and 400 to the empty message, which
    /// it does not store. Any answer but 401, 403 and 5xx counts as accepted.
    func platform() async -> DoctorCheck {
        let lambda = configuration.lambda
        let name = "platform"
        let client: PlatformClient
        do {
            client = PlatformClient(
                platformURL: lambda.platformURL,
                authorization: try OutgoingAuthorization(endpointUUID: lambda.endpointUUID, secret: lambda.secret),
                timeoutSeconds: 10,
                caFile: lambda.platformCAFile
            )
        } catch {
            return .failed(name, "cannot make our Authorization header: \(error)", fix: "check secret")
        }
        let answer: PlatformAnswer
        do {
            answer = try await client.send(ByteBuffer(string: "{}"))
        } catch {
            return .failed(name, "\(client.submitURL) unreachable: \(error)", fix: "check platform-url and the network path to it")
        }
        switch answer.status {
        case 401, 403:
            return .failed(
                name,
                "\(client.submitURL) refused our Authorization (\(answer.status))",
                fix: "the platform must know this endpoint-uuid and secret"
            )
        case 500...:
            return .failed(name, "\(client.submitURL) answered \(answer.status) to an empty probe message", fix: "check the platform's health")
        default:
            return .ok(name, "\(client.submitURL) reachable; Authorization accepted (answered \(answer.status) to an empty probe message)")
        }
    }

    static func lastLine(_ output: String) -> String {
        TracerStderr.lastMeaningfulLine(output) ?? "no output"
    }
}
