import EndpointTestSupport
import Foundation
import PlatformServer
import PlatformWire
import SubmitReceiver
import Testing

@Suite("Stand-in platform parts: label selectors, credential files, task redelivery")
struct FleetPartsTests {
    @Test("Every pair of a selector must be among the labels; the empty selector matches all")
    func selector() throws {
        let labels = ["role": "db", "zone": "eu-1"]
        #expect(try LabelSelector(parsing: "role=db").matches(labels))
        #expect(try LabelSelector(parsing: "role=db, zone=eu-1").matches(labels))
        #expect(try !LabelSelector(parsing: "role=db,zone=us-2").matches(labels))
        #expect(try !LabelSelector(parsing: "rack=4").matches(labels))
        #expect(try LabelSelector(parsing: "").matches(labels))
        #expect(try LabelSelector(parsing: "").matches([:]))
        #expect(try !LabelSelector(parsing: "role=").matches(labels))
        #expect(throws: LabelSelector.Malformed.self) { try LabelSelector(parsing: "role") }
        #expect(throws: LabelSelector.Malformed.self) { try LabelSelector(parsing: "=db") }
        #expect(throws: LabelSelector.Malformed.self) { try LabelSelector(parsing: "role=db,role=web") }
    }

    @Test("An endpoints file others can read is refused; a private one gives each uuid its secret")
    func credentialsFile() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("endpoints-\(UUID().uuidString).json").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data(#"{"11111111-1111-4111-8111-111111111111": "s1"}"#.utf8).write(to: URL(fileURLWithPath: path))
        try FileManager.default.setAttributes([.posixPermissions: 0o640], ofItemAtPath: path)
        #expect {
            try EndpointCredentials.loadTable(path: path)
        } throws: { error in
            "\(error)".contains("readable by its group or others")
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
        let credentials = try EndpointCredentials.loadTable(path: path)
        #expect(credentials.secret(for: "11111111-1111-4111-8111-111111111111") == "s1")
        #expect(credentials.secret(for: "11111111-1111-4111-8111-111111111112") == nil)
        #expect(credentials.isFleet)
        let fleet = EndpointCredentials(.fleet(secret: "shared"))
        #expect(fleet.secret(for: "22222222-2222-4222-8222-222222222222") == "shared")
        #expect(fleet.secret(for: "not-a-uuid") == nil)
    }

    @Test("A task handed out without a result comes again at a poll after redeliverAfter; one with its result, or not yet overdue, does not")
    func redelivery() async throws {
        let queues = TaskQueues(redeliverAfter: .milliseconds(200))
        let endpoint = "11111111-1111-4111-8111-111111111111"
        let lost = PlatformTask(id: "lost", method: "GET", path: "/traces")
        let answered = PlatformTask(id: "answered", method: "GET", path: "/heartbeat")
        await queues.enqueue(lost, for: endpoint)
        await queues.enqueue(answered, for: endpoint)
        #expect(await queues.poll(endpoint, wait: .zero) == [lost, answered])
        #expect(await queues.poll(endpoint, wait: .zero).isEmpty, "not overdue yet")
        await queues.record(TaskResult(endpoint: endpoint, status: 200, body: .string("alive")), for: "answered")
        let redelivered = try await eventuallyValue("a task handed out again once overdue", timeout: .seconds(5)) {
            let tasks = await queues.poll(endpoint, wait: .zero)
            return tasks.isEmpty ? nil : tasks
        }
        #expect(redelivered == [lost], "only the one without a result, once overdue")
        await queues.record(TaskResult(endpoint: endpoint, status: 200, body: .array([])), for: "lost")
        // Past redeliverAfter (200 ms) with nothing handed out again is the point.
        try await Task.sleep(for: .milliseconds(300))
        #expect(await queues.poll(endpoint, wait: .zero).isEmpty)
    }
}
