import EndpointTestSupport
import Foundation
import Runs
import SubmitReceiver
import Testing

/// A start time counts clock ticks from boot: after a reboot, the (pid, start time) a
/// SIGKILLed endpoint recorded for its tracer may name an unrelated process of the new
/// boot. The restarted endpoint must stop a leftover only when the boot id matches too.
@Suite("Leftover tracers of another boot", .serialized)
struct LeftoverTracerBootTests {
    /// The boot id a leftover is recorded with.
    enum RecordedBoot: String, CustomStringConvertible {
        case thisBoot = "this boot"
        case anotherBoot = "another boot"
        /// A row written before the boot id was recorded (NULL): stopped as before.
        case unrecorded = "no boot id"

        var description: String { rawValue }
    }

    static let bootID = (try? String(contentsOfFile: "/proc/sys/kernel/random/boot_id", encoding: .utf8))?
        .trimmingCharacters(in: .whitespacesAndNewlines)

    @Test(
        "A live process recorded as a run's tracer with its real pid and start time is stopped at start only within the boot it was recorded in",
        arguments: [RecordedBoot.anotherBoot, .thisBoot, .unrecorded]
    )
    func leftoverStoppedOnlyInItsBoot(recorded: RecordedBoot) async throws {
        let bootID = try #require(Self.bootID)
        let receiver = try await LiveReceiver()
        defer { receiver.stop() }
        let endpoint = try EndpointProcess(
            receiver: receiver,
            // The run ends at the restart (no relaunch): the subject is the leftover.
            lambda: ["bpf-path": EndpointProcess.fixture("fake-tracer-sleeps.sh"), "kill-grace-seconds": "1", "resume-runs": "false"]
        )
        let number = try await endpoint.putTemplate(#"{"process":"/bin/bash","functions":["xmalloc"],"traceType":["BPF"]}"#)
        let path = try await endpoint.start(traceId: number, lasting: 300)
        try await endpoint.waitForState(path, .running, timeout: .seconds(10))
        try await eventually("the endpoint records its tracer's boot id with its pid") {
            try sqliteValue(endpoint.directory.databaseFile, "SELECT tracerBootID FROM run WHERE filePath = '\(path)'") == bootID
        }
        endpoint.process.send(SIGKILL)
        endpoint.process.waitForExit(timeout: 5)
        // The fake tracer (it leads its own group) is not the subject: gone before the restart.
        for pid in processes(containing: programFile(of: path)) {
            kill(-pid, SIGKILL)
            kill(pid, SIGKILL)
        }

        // An unrelated live process that the row now names, exactly as a new boot's
        // process reusing the pid and start time would look.
        let bystander = try SpawnedProcess(executable: "/bin/sleep", arguments: ["300"])
        let startTime = try #require(ProcessIdentity.startTime(of: bystander.pid))
        let boot =
            switch recorded {
            case .thisBoot: "'\(bootID)'"
            case .anotherBoot: "'\(UUID().uuidString.lowercased())'"
            case .unrecorded: "NULL"
            }
        try sqlite(
            endpoint.directory.databaseFile,
            "UPDATE run SET tracerPID = \(bystander.pid), tracerStartTime = \(startTime), tracerBootID = \(boot) WHERE filePath = '\(path)'"
        )
        try endpoint.restart()
        // The leftover is dealt with before its run resumes, and the run then finishes.
        let received = try #require(await receiver.waitForFinished(path, timeout: 20))
        #expect(received.code == -1)
        if recorded == .anotherBoot {
            // Past kill-grace-seconds: neither the SIGTERM nor the SIGKILL came.
            try await Task.sleep(for: .seconds(2))
            #expect(isAlive(bystander.pid), "the restarted endpoint signalled a process of a pid recorded in another boot")
        } else {
            try await eventually("the leftover recorded with \(recorded) is stopped", timeout: .seconds(5), poll: .milliseconds(100)) {
                !isAlive(bystander.pid)
            }
        }
    }
}

/// The first column of the first row `query` gives on a SQLite file, as text ("NULL"
/// for NULL), read with Python's sqlite3 as `sqlite` writes.
func sqliteValue(_ file: String, _ query: String) throws -> String {
    let script =
        "import sqlite3, sys\nrow = sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()\nprint('NULL' if row[0] is None else row[0])"
    let python = try SpawnedProcess(executable: "/usr/bin/env", arguments: ["python3", "-c", script, file, query])
    guard python.waitForExit(timeout: 30) == 0 else { throw SQLiteEditFailed(message: python.standardError) }
    return python.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
}
