import Credentials
import EndpointTestSupport
import Foundation
import FoundationNetworking

#if canImport(FoundationNetworking)
#endif

/// The real `lambda-endpoint serve --config DIR` as a separate process, as root or as
/// one of the unprivileged users made by `scripts/prepare-test-machine.sh`.
final class EndpointProcess: @unchecked Sendable {
    enum RunAs: String {
        case root
        /// NOPASSWD sudo rule for the tracers.
        case sudoNoPassword = "lambda-nopw"
        /// Password sudo rule; the password is in a root-only file.
        case sudoPassword = "lambda-pw"
        /// No sudo rule.
        case noSudoRule = "lambda-norule"
    }

    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .path
    static func fixture(_ name: String) -> String { repositoryRoot + "/Tests/Fixtures/" + name }
    static let sudoPasswordFile = "/var/lib/lambda-endpoint-tests/sudo-password"

    let directory: TestConfigDirectory
    private(set) var process: SpawnedProcess
    private(set) var port: Int
    let authorization: String
    let user: RunAs
    let environment: [String: String]
    /// Program and arguments the endpoint is started through (e.g. `prlimit ... --`).
    let launcher: [String]
    /// Seconds a request of this test may wait for its answer.
    var requestTimeout: Double = 60
    /// Where requests go; a test that must be a new client gives it a session of its own
    /// (the shared one keeps its connections to the endpoint open between requests).
    var session = URLSession.shared
    private let binaryDirectory: String

    /// Starts the endpoint and waits until it listens. `lambda` overrides keys of
    /// lambda-settings.yml (platform-url is set to `receiver`); `launcher` runs before the
    /// binary (it must exec it, so the endpoint keeps the launcher's pid).
    convenience init(
        as user: RunAs = .root,
        receiver: LiveReceiver,
        settings: [String: String?] = [:],
        lambda: [String: String?] = [:],
        environment extra: [String: String] = [:],
        launcher: [String] = []
    ) throws {
        try self.init(as: user, platformURL: receiver.url, settings: settings, lambda: lambda, environment: extra, launcher: launcher)
    }

    /// A pull-mode endpoint of `platform` (or a push one, `control: "push"`), as `identity`.
    convenience init(
        platform: LiveStandInPlatform,
        identity: PullEndpoints.Identity,
        control: String = "pull",
        labels: String? = nil,
        pollWait: Int = 2
    ) throws {
        try self.init(platformURL: platform.url, lambda: identity.settings(platform, control: control, labels: labels, pollWait: pollWait))
    }

    init(
        as user: RunAs = .root,
        platformURL: String,
        settings: [String: String?] = [:],
        lambda: [String: String?] = [:],
        environment extra: [String: String] = [:],
        launcher: [String] = []
    ) throws {
        var lambda = lambda
        lambda["platform-url"] = lambda["platform-url"] ?? platformURL
        // Tests compare the delivered stream with the run file, so keep it by default.
        lambda["keep-run-files"] = lambda["keep-run-files"] ?? "true"
        directory = try TestConfigDirectory(settings: settings, lambda: lambda)
        let binary = try Self.runnableBinary
        binaryDirectory = URL(fileURLWithPath: binary).deletingLastPathComponent().path

        var environment = ProcessInfo.processInfo.environment
        environment.merge(extra) { $1 }
        self.environment = environment
        self.user = user
        self.launcher = launcher
        if user != .root { try Self.giveDirectory(directory.path, to: user.rawValue) }
        (process, port) = try Self.launch(binary: binary, directory: directory.path, user: user, environment: environment, launcher: launcher)
        if case let (uuid??, secret??) = (lambda["endpoint-uuid"], lambda["secret"]) {
            // Another identity than the test config's: its header made once here (one argon2 run).
            self.authorization = try AuthorizationHeader.make(
                endpointUUID: uuid,
                secret: secret.trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            )
        } else {
            self.authorization =
                TestConfigDirectory.endpointUUID
                + "$argon2i$v=19$m=4096,t=3,p=1$c2FsdHNhbHRzYWx0MQ$33hYFAJcnRrKeKvb29ZyLDXtbkW5uDW8aRMtBGtXZ8g"
        }
    }

    static func launch(
        binary: String,
        directory: String,
        user: RunAs,
        environment: [String: String],
        launcher: [String] = []
    ) throws -> (SpawnedProcess, Int) {
        // In the config directory: an unprivileged endpoint owns it and can write there.
        let portFile = directory + "/port"
        unlink(portFile)  // a restart's file must be the new process's
        var command = launcher + [binary, "serve", "--config", directory, "--port-file", portFile]
        if user != .root {
            command = ["/usr/bin/setpriv", "--reuid", user.rawValue, "--regid", user.rawValue, "--init-groups", "--"] + command
        }
        let process = try SpawnedProcess(executable: command[0], arguments: Array(command.dropFirst()), environment: environment)
        guard let port = process.waitWhileRunning(timeout: 30, for: { portWritten(to: portFile) }) else {
            throw EndpointFailedToStart(log: process.standardError)
        }
        return (process, port)
    }

    /// Starts the endpoint again on the same config directory and database (after the
    /// previous process has exited or was killed).
    func restart() throws {
        process.waitForExit(timeout: 30)
        (process, port) = try Self.launch(
            binary: binaryDirectory + "/lambda-endpoint",
            directory: directory.path,
            user: user,
            environment: environment,
            launcher: launcher
        )
    }

    /// Resident memory of the endpoint process, from /proc.
    var residentKiB: Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(process.pid)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") })
        else { return nil }
        return Int(line.split(separator: " ").dropFirst().first ?? "")
    }

    struct EndpointFailedToStart: Error, CustomStringConvertible {
        let log: String
        var description: String { "endpoint did not start:\n\(log)" }
    }

    static var sudoPassword: String {
        get throws { try String(contentsOfFile: sudoPasswordFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines) }
    }

    /// The binary, copied once per test process where any user can run it: the build
    /// folder may sit under a directory only root can enter. Copied under the spawn lock:
    /// a child spawned meanwhile would inherit the copy's write descriptor, and exec of
    /// the copy would then fail with "Text file busy".
    static let runnableBinary: String = {
        SpawnedProcess.spawnLock.withLock {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lambda-endpoint-bin-\(UUID().uuidString)").path
            try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let binary = directory + "/lambda-endpoint"
            try? FileManager.default.copyItem(atPath: builtBinary, toPath: binary)
            chmod(directory, 0o755)
            chmod(binary, 0o755)
            return binary
        }
    }()

    static var builtBinary: String {
        let testBinary = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: testBinary).deletingLastPathComponent().appendingPathComponent("lambda-endpoint").path
    }

    static func giveDirectory(_ path: String, to user: String) throws {
        guard let entry = getpwnam(user) else { throw EndpointFailedToStart(log: "no user \(user): run scripts/prepare-test-machine.sh") }
        let uid = entry.pointee.pw_uid
        let gid = entry.pointee.pw_gid
        chown(path, uid, gid)
        for item in FileManager.default.enumerator(atPath: path)?.allObjects as? [String] ?? [] {
            chown(path + "/" + item, uid, gid)
        }
    }

    deinit {
        process.send(SIGKILL)
        process.waitForExit(timeout: 5)
        directory.remove()
    }

    // MARK: - HTTP

    struct Answer {
        let status: Int
        let body: String
        let contentType: String?

        /// The body as the API type it should be; a missing or mistyped key throws.
        func decoded<T: Decodable>(as type: T.Type) throws -> T {
            try APIResponse.decode(type, from: body)
        }
    }

    /// `headers` are set last (a test's `Lambda-Signature`, or another `Authorization`).
    func request(_ method: String, _ path: String, json: String? = nil, headers: [String: String] = [:]) async throws -> Answer {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        request.httpMethod = method
        request.timeoutInterval = requestTimeout
        request.setValue(authorization, forHTTPHeaderField: "Authorization")
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        if let json {
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.httpBody = Data(json.utf8)
        }
        let (data, response) = try await session.data(for: request)
        let http = response as? HTTPURLResponse
        return Answer(
            status: http?.statusCode ?? 0,
            body: String(decoding: data, as: UTF8.self),
            contentType: http?.value(forHTTPHeaderField: "Content-Type")
        )
    }

    /// The body of a 200 answer as `type`; any other status throws with the body.
    func okAnswer<T: Decodable>(_ answer: Answer, _ what: String, as type: T.Type) throws -> T {
        guard answer.status == 200 else { throw UnexpectedAnswer(description: "\(what) answered \(answer.status): \(answer.body)") }
        return try answer.decoded(as: type)
    }

    struct UnexpectedAnswer: Error, CustomStringConvertible {
        let description: String
    }

    /// Stores a template and returns its number.
    func putTemplate(_ json: String) async throws -> Int {
        try okAnswer(try await request("PUT", "/trace", json: json), "PUT /trace", as: StoredTemplateAnswer.self).traceNo
    }

    /// Starts a run; returns its file path.
    /// `target`: the JSON of a start's `target` (nil: none).
    func start(traceId: Int, tracer: String = "BPF", lasting: Int, target: String? = nil) async throws -> String {
        let targetMember = target.map { #","target":\#($0)"# } ?? ""
        let body = #"{"traceT":"\#(tracer)","traceId":\#(traceId),"lasting":\#(lasting)\#(targetMember)}"#
        return try okAnswer(try await request("POST", "/trace/start", json: body), "POST /trace/start", as: StartAnswer.self).filePath
    }

    /// Starts an analysis (`POST /analysis/start` with `body`); returns its file path.
    func startAnalysis(_ body: String) async throws -> String {
        try okAnswer(try await request("POST", "/analysis/start", json: body), "POST /analysis/start", as: StartAnswer.self).filePath
    }

    /// Asks the endpoint to stop the run at `filePath` (`POST /trace/kill`; it answers
    /// `Killed` for any path).
    func kill(_ filePath: String) async throws {
        _ = try await request("POST", "/trace/kill", json: #"{"killPath":"\#(filePath)"}"#)
    }

    /// `GET /traces/running/all`.
    func runningRuns() async throws -> [RunStatusAnswer] {
        try okAnswer(try await request("GET", "/traces/running/all"), "GET /traces/running/all", as: [RunStatusAnswer].self)
    }

    /// `GET /traces/finished`.
    func finishedRuns() async throws -> [RunStatusAnswer] {
        try okAnswer(try await request("GET", "/traces/finished"), "GET /traces/finished", as: [RunStatusAnswer].self)
    }

    /// The run's status while it is active, else from the finished list; nil when
    /// neither knows it.
    func runStatus(_ filePath: String) async throws -> RunStatusAnswer? {
        let escaped = filePath.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? filePath
        let running = try await request("GET", "/trace/running?path=\(escaped)")
        if running.status == 200 { return try running.decoded(as: RunStatusAnswer.self) }
        return try await finishedRuns().first { $0.filePath == filePath }
    }

    /// Waits until the run's state is `state` and returns that status; throws naming the
    /// last state seen when it is not reached within `timeout`.
    @discardableResult
    func waitForState(_ filePath: String, _ state: RunStatusAnswer.State, timeout: Duration = .seconds(10)) async throws -> RunStatusAnswer {
        var last: RunStatusAnswer.State?
        return try await eventuallyValue("run \(filePath) to be \(state) (last seen: \(last.map { "\($0)" } ?? "not listed"))", timeout: timeout) {
            let status = try await runStatus(filePath)
            last = status?.state
            return status?.state == state ? status : nil
        }
    }
}

/// The program file of a BPF run (`<uuid>.trace` runs `<uuid>.bt`): in its tracer's argv.
func programFile(of filePath: String) -> String {
    String(filePath.dropLast(".trace".count)) + ".bt"
}

/// Processes whose command line contains `marker`, e.g. a tracer's program file. A fake
/// tracer is looked for by its full path (`EndpointProcess.fixture`): the tests of another
/// checkout on the same machine run the same scripts from their own copy.
func processes(containing marker: String) -> [Int32] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap(Int32.init).filter { pid in
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
        return String(decoding: data.map { $0 == 0 ? 32 : $0 }, as: UTF8.self).contains(marker)
    }
}

/// Every process below `root` in the process tree, from /proc/PID/stat's parent field.
func descendants(of root: Int32) -> [Int32] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    var parents: [Int32: Int32] = [:]
    for pid in entries.compactMap(Int32.init) {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/stat") else { continue }
        let text = String(decoding: data, as: UTF8.self)
        // The command name may hold spaces and parentheses: fields resume after the last ')'.
        guard let close = text.lastIndex(of: ")") else { continue }
        let fields = text[text.index(after: close)...].split(separator: " ")
        if fields.count > 1, let parent = Int32(fields[1]) { parents[pid] = parent }
    }
    var found: [Int32] = []
    var frontier = [root]
    while let next = frontier.popLast() {
        let children = parents.filter { $0.value == next }.map(\.key)
        found += children
        frontier += children
    }
    return found
}

/// Runs bash loops that call xmalloc/xfree continuously until cancelled.
func busyBash(seconds: Int) throws -> SpawnedProcess {
    try SpawnedProcess(
        executable: "/bin/bash",
        arguments: ["-c", "end=$((SECONDS+\(seconds))); while [ $SECONDS -lt $end ]; do x=$(echo a b c); y=\"$x$x\"; done"]
    )
}
