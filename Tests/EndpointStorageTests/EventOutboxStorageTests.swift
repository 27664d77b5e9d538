import Foundation
import GRDB
import Testing

@testable import EndpointStorage
@testable import PlatformWire

/// The persisted event outbox: kept across reopening, bounded by `max-pending-events`
/// with the drop itself told (`events-dropped`), removed once acknowledged.
@Suite("SQLite event outbox")
struct EventOutboxStorageTests {
    func event(_ number: Int) -> EndpointEvent {
        EndpointEvent(
            id: "e-\(number)",
            at: Date(timeIntervalSince1970: 1_800_000_000 + Double(number)),
            kind: .runStarted,
            run: "/tmp/\(number).trace",
            detail: ["thread": .integer(Int64(number))]
        )
    }

    func droppedCount(_ event: EndpointEvent) -> Int64? {
        guard event.kind == EndpointEvent.Kind.eventsDropped.rawValue, case .integer(let count) = event.detail["dropped"] else { return nil }
        return count
    }

    @Test("Events survive reopening the file, oldest first, and go only once removed")
    func persistedUntilRemoved() async throws {
        let path = EndpointDatabaseTests.temporaryDatabasePath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            let database = try EndpointDatabase(path: path, poolSize: 2)
            for number in 1...3 { #expect(try await database.recordEvent(event(number), admission: EventAdmission(maxPending: 100)) == 0) }
        }
        let reopened = try EndpointDatabase(path: path, poolSize: 2)
        let pending = try await reopened.pendingEvents(limit: 2)
        #expect(pending.map(\.event) == [event(1), event(2)])
        try await reopened.removeEvents(seqs: pending.map(\.seq))
        #expect(try await reopened.pendingEvents(limit: 10).map(\.event) == [event(3)])
    }

    @Test("Beyond max-pending-events the oldest give way; one events-dropped row counts them all and is itself never dropped")
    func boundedWithDropEvent() async throws {
        let path = EndpointDatabaseTests.temporaryDatabasePath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let database = try EndpointDatabase(path: path, poolSize: 2)
        var dropped = 0
        for number in 1...250 { dropped += try await database.recordEvent(event(number), admission: EventAdmission(maxPending: 100)) }
        let pending = try await database.pendingEvents(limit: 1000).map(\.event)
        #expect(pending.count == 100)
        #expect(try await database.pendingEventCount() == 100)
        let tallies = pending.compactMap(droppedCount)
        #expect(tallies == [Int64(dropped)])
        // 250 recorded, 99 kept beside the tally row: the rest dropped, oldest first.
        #expect(dropped == 151)
        #expect(pending.filter { $0.kind != "events-dropped" } == (152...250).map(event))
    }

    @Test("A drop while an events-dropped row is in flight starts a new row: the one in flight keeps the count it was sent with")
    func inFlightTallyNotAddedTo() async throws {
        let path = EndpointDatabaseTests.temporaryDatabasePath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let database = try EndpointDatabase(path: path, poolSize: 2)
        for number in 1...101 { try await database.recordEvent(event(number), admission: EventAdmission(maxPending: 100)) }
        let inFlight = try await database.pendingEvents(limit: 1000)
        let tally = try #require(inFlight.first { droppedCount($0.event) != nil })
        let through = try #require(inFlight.last?.seq)
        try await database.recordEvent(event(102), admission: EventAdmission(maxPending: 100) { through })
        let now = try await database.pendingEvents(limit: 1000)
        #expect(now.first { $0.seq == tally.seq }?.event == tally.event)
        #expect(now.compactMap { droppedCount($0.event) }.count == 2)
    }
}
