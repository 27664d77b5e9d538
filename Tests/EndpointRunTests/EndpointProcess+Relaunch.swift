import EndpointTestSupport
import Foundation

/// What a run's status says of its relaunches after restarts of the endpoint (docs/api.md):
/// read from the same JSON as `RunStatusAnswer`, which the other suites decode.
struct RelaunchStatus: Decodable, Sendable {
    /// A time the run had no tracer: from the stop of the endpoint to the relaunch.
    struct Gap: Decodable, Sendable, Equatable {
        let stoppedAtNs: Int64
        let resumedAtNs: Int64
    }

    let filePath: String
    let thread: Int
    /// As the API names it (`starting`, `running`...; read as text: a run between two
    /// lives may show a state the other suites' decoding does not list).
    let state: String
    let startedAt: Date
    let deadline: Date
    let resumed: Bool
    let resumedCount: Int
    let gaps: [Gap]
    let target: TargetAnswer?

    enum CodingKeys: CodingKey { case filePath, thread, state, startedAt, deadline, resumed, resumedCount, gaps, target }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        filePath = try container.decode(String.self, forKey: .filePath)
        thread = try container.decode(Int.self, forKey: .thread)
        state = try container.decode(String.self, forKey: .state)
        startedAt = try container.decode(Date.self, forKey: .startedAt)
        deadline = try container.decode(Date.self, forKey: .deadline)
        resumed = try container.decode(Bool.self, forKey: .resumed)
        resumedCount = try container.decode(Int.self, forKey: .resumedCount)
        // A run never relaunched may leave its (empty) list of gaps out.
        gaps = try container.decodeIfPresent([Gap].self, forKey: .gaps) ?? []
        target = try container.decodeIfPresent(TargetAnswer.self, forKey: .target)
    }
}

/// Starting runs with any body, stopping and killing the endpoint, and the relaunch side
/// of a run's status.
extension EndpointProcess {
    /// `POST /trace/start` with `body` as given (e.g. with `"resume": false`); the file path.
    func startTrace(body: String) async throws -> String {
        try okAnswer(try await request("POST", "/trace/start", json: body), "POST /trace/start", as: StartAnswer.self).filePath
    }

    /// SIGTERM, as a supervisor stops a service, and the wait for the exit: its code.
    @discardableResult
    func stopGracefully(timeout: Double = 30) -> Int32? {
        process.send(SIGTERM)
        return process.waitForExit(timeout: timeout)
    }

    /// SIGKILL, as the OOM killer ends a process, and the wait until it is gone.
    func killAbruptly() {
        process.send(SIGKILL)
        process.waitForExit(timeout: 10)
    }

    /// The run's relaunch status while it is active, else from the finished list; nil
    /// when neither knows it.
    func relaunchStatus(_ filePath: String) async throws -> RelaunchStatus? {
        let escaped = filePath.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? filePath
        let running = try await request("GET", "/trace/running?path=\(escaped)")
        if running.status == 200 { return try running.decoded(as: RelaunchStatus.self) }
        let finished = try okAnswer(try await request("GET", "/traces/finished"), "GET /traces/finished", as: [RelaunchStatus].self)
        return finished.first { $0.filePath == filePath }
    }

    /// `GET /traces/running/all`, read for the relaunch fields.
    func runningRelaunchStatuses() async throws -> [RelaunchStatus] {
        try okAnswer(try await request("GET", "/traces/running/all"), "GET /traces/running/all", as: [RelaunchStatus].self)
    }

    /// What each descriptor the endpoint opened itself points to (`/proc/PID/fd`): all but
    /// the files outside its config directory, which it can only have inherited. A
    /// restarted endpoint inherits the test process's open files, the in-process
    /// receiver's stream files among them (seen: 50 of them after a restart with 50 runs).
    var ownDescriptors: [String] {
        let directory = "/proc/\(process.pid)/fd"
        return ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).compactMap { entry in
            guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: directory + "/" + entry) else { return nil }
            let inherited = target.hasPrefix("/") && !target.hasPrefix(self.directory.path + "/")
            return inherited ? nil : target
        }
    }
}
