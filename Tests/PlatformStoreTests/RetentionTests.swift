import Foundation
import PlatformStore
import PlatformWire
import Testing

@Suite("Retention: finished runs by age, then by bytes, then by count; never a running run")
struct RetentionTests {
    let endpoint = "0b5c8a52-3f6e-4c61-9d3e-6f1a2b3c4d5e"
    let day: Int64 = 86_400_000

    /// A run of `bytes` bytes in one chunk, finished at `finished` (nil: still running).
    func run(_ store: RunStore, _ name: String, bytes: Int, started: Int64, finished: Int64?) async throws {
        _ = try await store.receive(.chunk(trace: name, no: 0, bytes: Data(repeating: 0x61, count: bytes)), from: endpoint, now: started)
        if let finished { _ = try await store.receive(.finished(trace: name, stderr: "", code: 0), from: endpoint, now: finished) }
    }

    func remaining(_ store: RunStore) async throws -> [String] { try await store.runs(limit: 1000).map(\.filePath).sorted() }

    @Test("Older than retention-days: removed with their chunks, unless running")
    func byAge() async throws {
        let temporary = try await TemporaryDatabase()
        defer { Task { await temporary.remove() } }
        let store = RunStore(database: temporary.database)
        let now = 100 * day
        try await run(store, "old", bytes: 10, started: now - 9 * day, finished: now - 8 * day)
        try await run(store, "old-running", bytes: 10, started: now - 9 * day, finished: nil)
        try await run(store, "recent", bytes: 10, started: now - 2 * day, finished: now - day)
        let old = try #require(try await store.run(endpoint: endpoint, filePath: "old"))
        #expect(try await store.chunks(of: old.id, from: 0, upTo: 1).count == 1)
        let retention = Retention(database: temporary.database, days: 7, bytes: 1 << 30, maxRuns: 100)
        let outcome = try await retention.sweep(now: now)
        #expect(outcome.runsRemoved == 1 && outcome.bytesRemoved == 10)
        #expect(try await remaining(store) == ["old-running", "recent"])
        #expect(try await store.chunks(of: old.id, from: 0, upTo: 1).isEmpty)
    }

    @Test("Over retention-bytes (running runs counted): finished runs go oldest finish first until under; a running run stays even over")
    func byBytes() async throws {
        let temporary = try await TemporaryDatabase()
        defer { Task { await temporary.remove() } }
        let store = RunStore(database: temporary.database)
        let now = 100 * day
        try await run(store, "a", bytes: 400, started: now - 50, finished: now - 40)
        try await run(store, "b", bytes: 400, started: now - 60, finished: now - 30)
        try await run(store, "c", bytes: 400, started: now - 70, finished: now - 20)
        try await run(store, "running", bytes: 500, started: now - 100, finished: nil)
        // 1700 stored, 1000 allowed: a then b go (900 left).
        var outcome = try await Retention(database: temporary.database, days: 7, bytes: 1000, maxRuns: 100).sweep(now: now)
        #expect(outcome.runsRemoved == 2)
        #expect(try await remaining(store) == ["c", "running"])
        // 100 allowed: c goes; the running run stays although 500 > 100.
        outcome = try await Retention(database: temporary.database, days: 7, bytes: 100, maxRuns: 100).sweep(now: now)
        #expect(outcome.runsRemoved == 1)
        #expect(try await remaining(store) == ["running"])
    }

    @Test("Beyond max-runs rows the oldest finished go; old events and tasks go too")
    func byCountEventsTasks() async throws {
        let temporary = try await TemporaryDatabase()
        defer { Task { await temporary.remove() } }
        let store = RunStore(database: temporary.database)
        let now = 100 * day
        for index in 0..<5 { try await run(store, "r\(index)", bytes: 1, started: now - 100, finished: now - 50 + Int64(index)) }
        try await run(store, "running", bytes: 1, started: now - 100, finished: nil)
        let events = EventStore(database: temporary.database)
        let event = EndpointEvent(id: "old", time: "2026-01-01T00:00:00Z", kind: "run-started", run: nil, detail: [:])
        try await events.add([event], from: endpoint, now: now - 8 * day)
        try await events.add(
            [EndpointEvent(id: "new", time: "2026-01-01T00:00:00Z", kind: "run-started", run: nil, detail: [:])],
            from: endpoint,
            now: now
        )
        let tasks = TaskStore(database: temporary.database)
        try await tasks.enqueue(
            PlatformTask(id: "t-old", method: "GET", path: "/heartbeat", query: [:], body: nil),
            for: endpoint,
            now: now - 8 * day
        )
        try await tasks.enqueue(PlatformTask(id: "t-new", method: "GET", path: "/heartbeat", query: [:], body: nil), for: endpoint, now: now)
        let outcome = try await Retention(database: temporary.database, days: 7, bytes: 1 << 30, maxRuns: 3).sweep(now: now)
        #expect(outcome.runsRemoved == 3 && outcome.eventsRemoved == 1 && outcome.tasksRemoved == 1)
        #expect(try await remaining(store) == ["r3", "r4", "running"])
        #expect(try await events.events().map(\.id) == ["new"])
        #expect(try await tasks.task("t-old") == nil)
        #expect(try await tasks.task("t-new") != nil)
    }
}
