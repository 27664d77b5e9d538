import EndpointTestSupport
import Foundation
import HTTPTypes
import PlatformWire
import SubmitReceiver
import Testing

/// Pull mode's results against a platform that will not take them (a real endpoint, the
/// stand-in platform on loopback with its `ResultFault`): polling goes on, a result
/// refused for good or 404 too often is dropped and counted, and a record full of
/// unacknowledged results refuses new tasks instead of forgetting old ones.
@Suite("Pull mode: the result outbox and the bounded task record", .serialized)
struct PullResultOutboxTests {
    /// What the platform's fault hook answered, per task id.
    actor FaultLog {
        private(set) var answered: [String: [Int]] = [:]
        var refusing = true

        func note(_ id: String, _ status: Int) { answered[id, default: []].append(status) }
        func count(_ id: String) -> Int { answered[id]?.count ?? 0 }
        func statuses(_ id: String) -> [Int] { answered[id] ?? [] }
        func stopRefusing() { refusing = false }
    }

    /// PullEndpoints.db polling `platform` with `settings` and a fast backoff (0.2 s to 1 s),
    /// once it polls.
    func pollingEndpoint(_ platform: LiveStandInPlatform, _ settings: [String: String?]) async throws -> EndpointProcess {
        var lambda = PullEndpoints.db.settings(platform)
        lambda["submit-retry-initial"] = "0.2"
        lambda["submit-retry-max"] = "1"
        lambda.merge(settings) { $1 }
        let endpoint = try EndpointProcess(platformURL: platform.url, lambda: lambda)
        try await eventually("it polls", timeout: .seconds(20)) { await platform.lastSeen(PullEndpoints.db.uuid) != nil }
        return endpoint
    }

    /// A GET /metrics task's result: the endpoint's metrics text.
    func metrics(_ platform: LiveStandInPlatform, id: String) async throws -> String {
        await platform.enqueue(PlatformTask(id: id, method: "GET", path: "/metrics"), for: PullEndpoints.db.uuid)
        return try #require(await platform.waitForResult(id).body?.text)
    }

    @Test(
        "A platform answering 404 to one result and 422 to another: later tasks still run and report; the 404 one is dropped after task-result-404-limit answers, the 422 one at once; both logged and counted"
    )
    func refusedResultsNeverBlockPolling() async throws {
        let log = FaultLog()
        let platform = try await LiveStandInPlatform(resultFault: { id, _ in
            let status: HTTPResponse.Status? =
                switch id {
                case "lost-1": .notFound
                case "bad-1": .unprocessableContent
                default: nil
                }
            if let status { await log.note(id, status.code) }
            return status
        })
        defer { platform.stop() }
        let endpoint = try await pollingEndpoint(platform, ["task-result-404-limit": "3"])

        await platform.enqueue(PlatformTask(id: "lost-1", method: "GET", path: "/traces"), for: PullEndpoints.db.uuid)
        try await eventually("the platform answered lost-1's result 404") { await log.count("lost-1") >= 1 }
        await platform.enqueue(PlatformTask(id: "bad-1", method: "GET", path: "/traces"), for: PullEndpoints.db.uuid)
        await platform.enqueue(
            PlatformTask(id: "next-1", method: "PUT", path: "/trace", body: PullModeTests.bashTemplate),
            for: PullEndpoints.db.uuid
        )
        #expect(try await platform.waitForResult("next-1").status == 200, "polling went on while lost-1's result was refused")

        try await eventually("lost-1's result is dropped", timeout: .seconds(30)) {
            endpoint.process.standardError.contains("Dropped a task's result the platform keeps answering 404")
        }
        #expect(endpoint.process.standardError.contains("Dropped a task's result the platform refused for good"))
        // No further attempt of either may come during these 3 s.
        try await Task.sleep(for: .seconds(3))
        #expect(await log.statuses("lost-1") == [404, 404, 404], "tried exactly task-result-404-limit times")
        #expect(await log.statuses("bad-1") == [422], "a permanent refusal is not sent again")
        let text = try await metrics(platform, id: "metrics-1")
        #expect(text.contains(#"lambda_task_results_dropped_total{reason="not-found"} 1"#), "\(text)")
        #expect(text.contains(#"lambda_task_results_dropped_total{reason="refused"} 1"#), "\(text)")

        // Dropped is settled: a restart sends neither again, and a redelivery runs nothing.
        endpoint.process.send(SIGTERM)
        #expect(endpoint.process.waitForExit(timeout: 30) == 0)
        try endpoint.restart()
        // Nor during the restarted endpoint's first 3 s.
        try await Task.sleep(for: .seconds(3))
        #expect(await log.statuses("lost-1") == [404, 404, 404], "not sent again after a restart")
        #expect(await log.statuses("bad-1") == [422])
    }

    @Test(
        "Results the platform does not acknowledge fill task-results-max-bytes: the next task is answered 503 and not run; once the platform takes them, tasks run again"
    )
    func fullRecordRefusesNewTasks() async throws {
        let log = FaultLog()
        let platform = try await LiveStandInPlatform(resultFault: { id, result in
            guard id.hasPrefix("fill-"), result.status == 200, await log.refusing else { return nil }
            await log.note(id, 503)
            return .serviceUnavailable
        })
        defer { platform.stop() }
        let endpoint = try await pollingEndpoint(platform, ["task-results-max-bytes": "65536"])

        // GET /metrics answers a few KiB each: the record fills after some of them.
        var refused: TaskResult?
        for number in 1...200 where refused == nil {
            let id = "fill-\(number)"
            await platform.enqueue(PlatformTask(id: id, method: "GET", path: "/metrics"), for: PullEndpoints.db.uuid)
            try await eventually("\(id) ran or was refused", timeout: .seconds(20)) {
                let refusedByPlatform = await log.count(id) > 0
                let recorded = await platform.platform.queues.result(id) != nil
                return refusedByPlatform || recorded
            }
            refused = await platform.platform.queues.result(id)
        }
        let fullAnswer = try #require(refused, "the record never filled")
        #expect(fullAnswer.status == 503, "\(fullAnswer)")
        #expect(fullAnswer.body?["error"]?.text?.contains("task-results-max-bytes") == true, "\(fullAnswer)")

        await platform.enqueue(
            PlatformTask(id: "store-1", method: "PUT", path: "/trace", body: PullModeTests.bashTemplate),
            for: PullEndpoints.db.uuid
        )
        let notRun = try await platform.waitForResult("store-1")
        #expect(notRun.status == 503, "\(notRun)")

        await log.stopRefusing()
        try await eventually("the refused results reach the platform", timeout: .seconds(30)) {
            let ids = await log.answered.keys
            for id in ids where await platform.platform.queues.result(id) == nil { return false }
            return true
        }
        // The platform keeps the first result of an id (the 503): ask again under a new id.
        await platform.enqueue(PlatformTask(id: "list-1", method: "GET", path: "/traces"), for: PullEndpoints.db.uuid)
        #expect(try await platform.waitForResult("list-1").body == .array([]), "store-1 never ran")
        await platform.enqueue(
            PlatformTask(id: "store-2", method: "PUT", path: "/trace", body: PullModeTests.bashTemplate),
            for: PullEndpoints.db.uuid
        )
        #expect(try await platform.waitForResult("store-2").status == 200, "room again")
        _ = endpoint
    }
}
