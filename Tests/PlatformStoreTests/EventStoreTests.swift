import Foundation
import PlatformStore
import PlatformWire
import Testing

@Suite("Endpoint events kept once per (endpoint, id), bounded")
struct EventStoreTests {
    let endpoint = "0b5c8a52-3f6e-4c61-9d3e-6f1a2b3c4d5e"

    func event(_ id: String, _ time: String = "2026-12-07T15:00:00.000Z", kind: String = "run-started") -> EndpointEvent {
        EndpointEvent(id: id, time: time, kind: kind, run: "/tmp/a.trace", detail: ["thread": .string("t")])
    }

    @Test("A repeated id is stored once; another endpoint's same id is its own")
    func once() async throws {
        let temporary = try await TemporaryDatabase()
        defer { Task { await temporary.remove() } }
        let store = EventStore(database: temporary.database)
        #expect(try await store.add([event("a"), event("b")], from: endpoint).count == 2)
        #expect(try await store.add([event("a"), event("c")], from: endpoint).map(\.id) == ["c"])
        #expect(try await store.add([event("a")], from: "other").count == 1)
        #expect(try await store.count() == 4)
        let stored = try await store.events(endpoint: endpoint)
        #expect(Set(stored.map(\.id)) == ["a", "b", "c"])
        #expect(stored.first?.detail == #"{"thread":"t"}"#)
    }

    @Test("One bad event refuses the post naming its field, and stores none of it")
    func refusals() async throws {
        let temporary = try await TemporaryDatabase()
        defer { Task { await temporary.remove() } }
        let store = EventStore(database: temporary.database)
        let cases: [(EndpointEvent, String)] = [
            (event("bad id!"), "[1].id: 1-128 of [A-Za-z0-9._:-]"),
            (event("x", kind: "Run_Started"), "[1].kind: 1-64 of [a-z0-9-]"),
            (event("x", "yesterday"), "[1].time: expected an ISO 8601 date-time with a zone"),
            (
                EndpointEvent(
                    id: "x",
                    time: "2026-12-07T15:00:00Z",
                    kind: "run-started",
                    run: nil,
                    detail: ["big": .string(String(repeating: "x", count: 17000))]
                ),
                "[1].detail: at most 16384 bytes of JSON"
            ),
            (
                EndpointEvent(id: "x", time: "2026-12-07T15:00:00Z", kind: "run-started", run: "a\nb", detail: [:]),
                "[1].run: 1-4096 bytes, no control characters, or null"
            ),
        ]
        for (bad, message) in cases {
            await #expect(throws: EventStore.Refusal(description: message)) { try await store.add([event("ok"), bad], from: endpoint) }
        }
        #expect(try await store.count() == 0)
    }

    @Test("Beyond max-events the oldest arrivals are removed; filters by kind and since, newest first")
    func boundAndFilters() async throws {
        let temporary = try await TemporaryDatabase()
        defer { Task { await temporary.remove() } }
        let store = EventStore(database: temporary.database, maxEvents: 3)
        for (index, minute) in ["01", "02", "03", "04", "05"].enumerated() {
            try await store.add(
                [event("e\(index)", "2026-12-07T15:\(minute):00Z", kind: index % 2 == 0 ? "run-started" : "run-finished")],
                from: endpoint,
                now: Int64(index)
            )
        }
        #expect(try await store.events().map(\.id) == ["e4", "e3", "e2"])
        #expect(try await store.events(kind: "run-started").map(\.id) == ["e4", "e2"])
        let since = try #require(ISOTime.milliseconds("2026-12-07T16:04:30+01:00"))
        // e4 is at 15:05Z, e3 at 15:04Z: since 15:04:30Z (written in another zone) is e4 alone.
        #expect(try await store.events(since: since).map(\.id) == ["e4"])
        #expect(try await store.events(limit: 1).map(\.id) == ["e4"])
    }
}
