import Foundation
import SQLKit

/// What the platform keeps, bounded (docs/platform.md, *Retention and bounds*): one sweep
/// removes finished runs older than `days`, then finished runs, oldest finish first, while
/// the stored bytes of all runs (running ones included) exceed `bytes`, then finished
/// runs beyond `maxRuns` rows; events and tasks older than `days`. A running run is never
/// removed; a run's chunks go with it.
public struct Retention: Sendable {
    public struct Outcome: Sendable, Equatable {
        public var runsRemoved = 0
        public var bytesRemoved: Int64 = 0
        public var eventsRemoved = 0
        public var tasksRemoved = 0

        public init() {}
    }

    /// Runs are removed this many at a time, each batch in its own transaction: a sweep
    /// of thousands of runs never holds the write lock for long against `/submit`.
    static let batch = 32

    public let database: any PlatformDatabase
    public let days: Int
    public let bytes: Int64
    public let maxRuns: Int

    public init(database: any PlatformDatabase, days: Int, bytes: Int64, maxRuns: Int) {
        self.database = database
        self.days = days
        self.bytes = bytes
        self.maxRuns = maxRuns
    }

    public func sweep(now: Int64 = Clock.milliseconds()) async throws -> Outcome {
        var outcome = Outcome()
        let cutoff = now - Int64(days) * 86_400_000
        // By age.
        while true {
            let old = try await candidates(finishedBefore: cutoff)
            if old.isEmpty { break }
            try await remove(old, into: &outcome)
        }
        // By the bytes of all runs.
        var stored = try await storedBytes()
        while stored > bytes {
            let oldest = try await candidates()
            if oldest.isEmpty { break }
            var chosen: [Candidate] = []
            for run in oldest where stored > bytes {
                chosen.append(run)
                stored -= run.storedBytes
            }
            try await remove(chosen, into: &outcome)
        }
        // By the number of runs.
        var excess = try await runCount() - maxRuns
        while excess > 0 {
            let oldest = try await candidates(limit: min(excess, Self.batch))
            if oldest.isEmpty { break }
            try await remove(oldest, into: &outcome)
            excess -= oldest.count
        }
        let (events, tasks) = try await database.write { sql in
            let events = try await sql.count("SELECT COUNT(*) AS n FROM events WHERE received_at < \(bind: cutoff)")
            try await sql.raw("DELETE FROM events WHERE received_at < \(bind: cutoff)").run()
            let taskAge: SQLQueryString = "COALESCE(result_at, queued_at) < \(bind: cutoff)"
            let tasks = try await sql.count("SELECT COUNT(*) AS n FROM tasks WHERE \(taskAge)")
            try await sql.raw("DELETE FROM tasks WHERE \(taskAge)").run()
            // Older than the signature window, a nonce's replay fails the time check anyway.
            try await sql.raw("DELETE FROM signature_nonces WHERE at < \(bind: now - SignatureNonceStore.keptMilliseconds)").run()
            return (events, tasks)
        }
        outcome.eventsRemoved = events
        outcome.tasksRemoved = tasks
        return outcome
    }

    struct Candidate: Decodable {
        var id: String
        var storedBytes: Int64
    }

    /// Finished runs, oldest finish first (those finished before `cutoff` when given).
    func candidates(finishedBefore cutoff: Int64 = .max, limit: Int = batch) async throws -> [Candidate] {
        try await database.read { sql in
            try await sql.raw(
                """
                SELECT id, stored_bytes FROM runs WHERE finished IS NOT NULL AND finished < \(bind: cutoff)
                ORDER BY finished, id LIMIT \(bind: limit)
                """
            ).all(decoding: Candidate.self, with: .platform)
        }
    }

    /// Removes `runs` and their chunks in one transaction; a run is removed only if it is
    /// still finished (it always is: a finished run never runs again).
    func remove(_ runs: [Candidate], into outcome: inout Outcome) async throws {
        let removed = try await database.write { sql in
            var removed: [Candidate] = []
            for run in runs {
                let rows = try await sql.raw("DELETE FROM runs WHERE id = \(bind: run.id) AND finished IS NOT NULL RETURNING id").all()
                guard !rows.isEmpty else { continue }
                try await sql.raw("DELETE FROM chunks WHERE run = \(bind: run.id)").run()
                removed.append(run)
            }
            return removed
        }
        outcome.runsRemoved += removed.count
        outcome.bytesRemoved += removed.reduce(0) { $0 + $1.storedBytes }
    }

    func storedBytes() async throws -> Int64 {
        try await database.read { sql in
            try await sql.raw("SELECT CAST(COALESCE(SUM(stored_bytes), 0) AS BIGINT) AS n FROM runs").first(decodingColumn: "n", as: Int64.self) ?? 0
        }
    }

    func runCount() async throws -> Int {
        try await database.read { sql in try await sql.count("SELECT COUNT(*) AS n FROM runs") }
    }

}
