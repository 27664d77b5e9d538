import EndpointTestSupport
import Foundation
import Testing

/// What the platform sees of a run relaunched after its endpoint's restart (docs/delivery.md,
/// "Runs that outlive a restart"), with a real endpoint, real bpftrace and the real
/// `lambda-platform`: one run, complete, its gap, its `run-resumed` event, one finish.
@Suite("The platform's view of a relaunched run", .serialized)
struct PlatformRelaunchTests {
    @Test("Endpoint SIGKILLed mid-run and started again: one run on the platform, complete, one gap, one run-resumed, the stream is the run file")
    func relaunchedRunOnThePlatform() async throws {
        let identity = PlatformStreamTests.identity
        let platform = try PlatformProcess(endpoints: [.init(uuid: identity.uuid, secret: identity.secret)])
        defer { platform.stop() }
        let endpoint = try PlatformStreamTests().endpoint(platformURL: platform.url)
        let number = try await endpoint.putTemplate(TraceRunTests.bashTemplate)
        let busy = try busyBash(seconds: 30)
        defer { busy.send(SIGKILL) }
        let before = Date()
        let filePath = try await endpoint.start(traceId: number, lasting: 10)
        try await eventually("the platform acknowledged some chunks", timeout: .seconds(30)) {
            (try await endpoint.runStatus(filePath)?.chunksAcknowledged ?? 0) >= 2
        }
        endpoint.process.send(SIGKILL)
        endpoint.process.waitForExit(timeout: 5)
        try endpoint.restart()
        let delivered = try await endpoint.waitForState(filePath, .delivered, timeout: .seconds(40))
        let after = Date()
        #expect(delivered.exitCode == 0, "the relaunched bpftrace ended at its lasting")

        let token = try await PlatformDatabaseAccess.token(of: platform)
        let runs = try await HTTPAnswer.call(platform.url, "GET", "/api/runs?endpoint=\(identity.uuid)", bearer: token)
        let listed = try #require(try JSONSerialization.jsonObject(with: runs.body) as? [[String: Any]])
        let same = listed.filter { $0["filePath"] as? String == filePath }
        #expect(same.count == 1, "one run, not one per tracer")
        let run = try #require(same.first)
        #expect(run["complete"] as? Bool == true && run["code"] as? Int == 0)
        let gaps = try #require(run["gaps"] as? [Any])
        #expect(gaps.count == 1, "one relaunch, one gap: \(gaps)")
        let id = try #require(run["id"] as? String)
        let stored = try await PlatformStreamTests().stream(platform.url, run: id, token: token)
        #expect(stored == FileManager.default.contents(atPath: filePath), "the stream read back differs from the run file")
        let resumedLines = String(decoding: stored, as: UTF8.self).split(separator: "\n").filter {
            $0.hasPrefix(#"{"type": "value", "data": ["resumed","#)
        }
        #expect(resumedLines.count == 1)
        if let line = resumedLines.first {
            let numbers = line.split(whereSeparator: { !$0.isNumber }).compactMap { Int64($0) }
            #expect(numbers.count == 2 && numbers[0] <= numbers[1], "\(line)")
            #expect(
                numbers.allSatisfy { Double($0) / 1e9 >= before.timeIntervalSince1970 && Double($0) / 1e9 <= after.timeIntervalSince1970 },
                "\(line)"
            )
        }

        try await eventually("the run-resumed event reached the platform", timeout: .seconds(10)) {
            let answer = try await HTTPAnswer.call(platform.url, "GET", "/api/events?endpoint=\(identity.uuid)&kind=run-resumed", bearer: token)
            let events = try JSONSerialization.jsonObject(with: answer.body) as? [[String: Any]] ?? []
            return events.contains { $0["run"] as? String == filePath && ($0["detail"] as? [String: Any])?["resumedCount"] as? Int == 1 }
        }
        let finished = try await HTTPAnswer.call(platform.url, "GET", "/api/events?endpoint=\(identity.uuid)&kind=run-finished", bearer: token)
        let finishedEvents = try JSONSerialization.jsonObject(with: finished.body) as? [[String: Any]] ?? []
        #expect(finishedEvents.filter { $0["run"] as? String == filePath }.count == 1, "one run-finished, at the real end")
    }
}
