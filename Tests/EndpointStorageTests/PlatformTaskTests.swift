import EndpointStorage
import Foundation
import PlatformWire
import Testing
import TraceModel

@Suite("Pull-mode tasks: their shape, and the record that runs each at most once")
struct PlatformTaskTests {
    static func temporaryDatabasePath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("lambda-tasks-\(UUID().uuidString).sqlite3").path
    }

    @Test("Ids: 1 to 128 of A-Z a-z 0-9 . _ : -")
    func ids() {
        for good in ["a", "fan-1.4633d686:start", String(repeating: "x", count: 128), "A_b.C:d-9"] {
            #expect(PlatformTask.isValidID(good), "\(good)")
        }
        for bad in ["", String(repeating: "x", count: 129), "a/b", "a b", "a?b", "é", "../x", "a%2F"] {
            #expect(!PlatformTask.isValidID(bad), "\(bad)")
        }
    }

    @Test("A task decodes with its body kept as JSON")
    func decode() throws {
        let task = try JSONDecoder().decode(
            PlatformTask.self,
            from: Data(#"{"id":"t1","method":"POST","path":"/trace/start","body":{"traceT":"BPF","traceId":3,"lasting":1.5,"x":[null,true]}}"#.utf8)
        )
        #expect(task.query.isEmpty)
        #expect(
            task.body
                == .object(["traceT": .string("BPF"), "traceId": .integer(3), "lasting": .number(1.5), "x": .array([.null, .boolean(true)])])
        )
    }

    @Test("Claiming: a new id once, then its recorded result, or in doubt when none was recorded; across a reopen")
    func claims() async throws {
        let path = Self.temporaryDatabasePath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = TaskResult(endpoint: "u", status: 200, body: .object(["thread": .integer(1)]))
        do {
            let database = try EndpointDatabase(path: path, poolSize: 1)
            #expect(try await database.claimTask(id: "a") == .new)
            try await database.recordTaskResult(id: "a", result: result)
            #expect(try await database.claimTask(id: "a") == .done(result))
            #expect(try await database.claimTask(id: "b") == .new)
            #expect(try await database.pendingTaskResults(limit: 10).map(\.id) == ["a"])
            try await database.recordTaskAcknowledged(id: "a")
            #expect(try await database.pendingTaskResults(limit: 10).isEmpty)
        }
        let reopened = try EndpointDatabase(path: path, poolSize: 1)
        #expect(try await reopened.claimTask(id: "a") == .done(result), "after a restart too")
        #expect(try await reopened.pendingTaskResults(limit: 10).map(\.id) == ["a"], "asked again: sent again")
        guard case .inDoubt = try await reopened.claimTask(id: "b") else {
            Issue.record("b was taken and never recorded: in doubt, never new again")
            return
        }
    }
}
