import EndpointTestSupport
import Foundation
import SubmitReceiver
import Testing

/// What a restarted endpoint finds may be damaged or hostile: files gone or shortened,
/// paths in the database pointing elsewhere, settings changed, tracers of its previous
/// life still alive. Each case still ends with a `finished`, never with a stuck run,
/// a file read outside trace-dir or a resent chunk with other bytes.
@Suite("Resuming after a restart", .serialized)
struct ResumeSafetyTests {
    static let template = #"{"process":"/bin/bash","functions":["xmalloc"],"traceType":["BPF"]}"#
    /// The fake counter in small chunks with quick retries (see DeliveryTests).
    static let counter = DeliveryTests.fast.merging(["submit-retry-max": "0.5", "kill-grace-seconds": "1"]) { $1 }

    /// Starts `count` counter runs, lets them deliver a little, stops them with the
    /// platform answering 503, then SIGKILLs the endpoint: every run is undelivered.
    func undeliveredRuns(
        _ count: Int,
        receiver: LiveReceiver,
        paused: Locked<Bool>,
        lambda: [String: String?] = [:]
    ) async throws -> (EndpointProcess, [String]) {
        let endpoint = try EndpointProcess(receiver: receiver, lambda: Self.counter.merging(lambda) { $1 })
        let number = try await endpoint.putTemplate(Self.template)
        var paths: [String] = []
        for _ in 0..<count { paths.append(try await endpoint.start(traceId: number, lasting: 60)) }
        for path in paths {
            try await eventually("run \(path) delivers a little before the platform pauses") {
                try await endpoint.runStatus(path).map { $0.chunksAcknowledged > 0 } ?? false
            }
        }
        paused.withLock { $0 = true }
        for path in paths {
            try await endpoint.kill(path)
            let stopped = try await endpoint.waitForState(path, .delivering, timeout: .seconds(10))
            #expect(stopped.chunksAcknowledged > 0)
        }
        // The exits are recorded; let the durable cursor catch up, then die. A fixed wait:
        // the durable cursor is written on a 200 ms timer, and no API shows it.
        try await Task.sleep(for: .milliseconds(500))
        endpoint.process.send(SIGKILL)
        endpoint.process.waitForExit(timeout: 5)
        return (endpoint, paths)
    }

    @Test("A resumed run whose file is gone, or shorter than acknowledged, still finishes and leaves the running list")
    func resumedRunWithDamagedFile() async throws {
        let paused = Locked(false)
        let receiver = try await LiveReceiver(fault: { _ in paused.withLock { $0 } ? .serviceUnavailable : nil })
        defer { receiver.stop() }
        let (endpoint, paths) = try await undeliveredRuns(2, receiver: receiver, paused: paused)
        let (gone, shortened) = (paths[0], paths[1])
        try FileManager.default.removeItem(atPath: gone)
        #expect(truncate(shortened, 10) == 0)
        paused.withLock { $0 = false }
        try endpoint.restart()
        for (path, missing) in [(gone, "is missing"), (shortened, "is shorter than")] {
            let received = try #require(await receiver.waitForFinished(path, timeout: 20), "no finished for the run whose file \(missing)")
            #expect(received.code == 0, "the recorded exit code is kept")
            #expect(received.stderr?.contains("run file \(missing)") == true, "\(received.stderr ?? "")")
            let status = try #require(try await endpoint.runStatus(path))
            #expect(status.state == .delivered)
        }
        #expect(try await endpoint.runningRuns().isEmpty)
    }

    @Test("A run path in the database outside trace-dir is never read, sent or removed; the run finishes saying so")
    func storedPathOutsideTraceDirectory() async throws {
        let paused = Locked(false)
        let receiver = try await LiveReceiver(fault: { _ in paused.withLock { $0 } ? .serviceUnavailable : nil })
        defer { receiver.stop() }
        let (endpoint, paths) = try await undeliveredRuns(1, receiver: receiver, paused: paused, lambda: ["keep-run-files": "false"])
        let victim = FileManager.default.temporaryDirectory.appendingPathComponent("lambda-victim-\(UUID().uuidString).trace").path
        let secret = String(repeating: "NOT-FOR-THE-PLATFORM\n", count: 20000)
        try secret.write(toFile: victim, atomically: false, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: victim) }
        try sqlite(endpoint.directory.databaseFile, "UPDATE run SET filePath = '\(victim)' WHERE filePath = '\(paths[0])'")
        paused.withLock { $0 = false }
        try endpoint.restart()
        let received = try #require(await receiver.waitForFinished(victim, timeout: 20))
        #expect(received.stderr?.contains("outside trace-dir") == true, "\(received.stderr ?? "")")
        let sent = (try? await receiver.stream(victim)) ?? Data()
        #expect(!String(decoding: sent, as: UTF8.self).contains("NOT-FOR-THE-PLATFORM"), "bytes of a file outside trace-dir were sent")
        #expect(FileManager.default.contents(atPath: victim) == Data(secret.utf8), "a file outside trace-dir was changed or removed")
    }

    @Test("Chunks resent after a restart keep their bytes though submit-chunk-size changed")
    func chunkBoundariesSurviveASettingsChange() async throws {
        let receiver = try await LiveReceiver(fault: { _ in
            // Slower than the counter writes: the delivery is always behind, so the
            // durable cursor lags and a SIGKILL makes chunks go out twice.
            try? await Task.sleep(for: .milliseconds(40))
            return nil
        })
        defer { receiver.stop() }
        let endpoint = try EndpointProcess(receiver: receiver, lambda: Self.counter)
        let number = try await endpoint.putTemplate(Self.template)
        // Relaunched after the restart for the time left: its chunks keep their size across
        // both the delivery resumed and the tracer relaunched.
        let path = try await endpoint.start(traceId: number, lasting: 10)
        // Well into the run (ten chunks in, ahead of the 200 ms durable cursor) and behind it.
        try await eventually("ten chunks acknowledged and more output not yet", timeout: .seconds(10)) {
            guard let status = try await endpoint.runStatus(path) else { return false }
            return status.chunksAcknowledged >= 10 && status.bytesRead > status.bytesAcknowledged + 4 * 1024
        }
        endpoint.process.send(SIGKILL)
        endpoint.process.waitForExit(timeout: 5)
        let settings = try String(contentsOfFile: endpoint.directory.lambdaSettingsFile, encoding: .utf8)
        try settings.replacingOccurrences(of: "submit-chunk-size: 1024", with: "submit-chunk-size: 4096")
            .write(toFile: endpoint.directory.lambdaSettingsFile, atomically: false, encoding: .utf8)
        try endpoint.restart()
        let received = try #require(await receiver.waitForFinished(path, timeout: 40))
        #expect(received.conflicts.isEmpty, "chunks resent with other bytes: \(received.conflicts)")
        #expect(received.gaps.isEmpty)
        #expect(received.irregularChunks.isEmpty, "the run changed its chunk size midway")
        let stream = try #require(try await receiver.stream(path))
        #expect(stream == FileManager.default.contents(atPath: path))
        let resumedLines = String(decoding: stream, as: UTF8.self).split(separator: "\n").filter { $0.contains(#"["resumed","#) }
        #expect(resumedLines.count == 1, "one relaunch, one resumed line: \(resumedLines)")
    }
}

/// Runs one SQL statement on a SQLite file with Python's sqlite3 (the endpoint's own
/// database, changed behind its back as a damaged or hostile disk would).
func sqlite(_ file: String, _ statement: String) throws {
    let script =
        "import sqlite3, sys\nc = sqlite3.connect(sys.argv[1])\nc.execute(sys.argv[2])\nc.commit()\nassert c.total_changes > 0, 'no row changed'"
    let python = try SpawnedProcess(executable: "/usr/bin/env", arguments: ["python3", "-c", script, file, statement])
    guard python.waitForExit(timeout: 30) == 0 else { throw SQLiteEditFailed(message: python.standardError) }
}

struct SQLiteEditFailed: Error { let message: String }
