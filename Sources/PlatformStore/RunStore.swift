import Foundation
import PlatformWire
import SQLKit

/// The streams: every `/submit` message of an endpoint, committed before it is answered.
/// A chunk is a row of `chunks` (its bytes as they came); the run's contiguous prefix
/// (`chunks`, `bytes`) advances as the gaps fill, so a reader never waits on a gap.
public struct RunStore: Sendable {
    public enum Refusal: Error, Equatable, CustomStringConvertible {
        case badTrace
        case negativeChunkNumber
        /// The same `no` came before with other bytes: 409.
        case conflict(no: Int)
        /// `no` is `maxChunksAhead` or more past the next chunk expected.
        case tooFarAhead(no: Int, next: Int64)
        /// The chunks held ahead of a gap would pass `maxBytesAhead`.
        case tooManyBytesAhead(no: Int)
        /// `maxRuns` runs are kept and all of them are running: 503, the endpoint retries.
        case tooManyRuns(limit: Int)

        public var description: String {
            switch self {
            case .badTrace: return "trace: 1-4096 bytes, no control characters"
            case .negativeChunkNumber: return "no: must not be negative"
            case .conflict(let no): return "no: chunk \(no) was received before with other bytes"
            case let .tooFarAhead(no, next):
                return "no: chunk \(no) is \(RunStore.maxChunksAhead) or more ahead of the next expected chunk \(next); refused"
            case .tooManyRuns(let limit):
                return "the platform keeps \(limit) runs (max-runs) and every one of them is running; retry later"
            case .tooManyBytesAhead(let no):
                return "no: chunk \(no) arrived ahead of a gap, and the chunks already held there reach \(RunStore.maxBytesAhead >> 20) MiB; refused"
            }
        }
    }

    /// How far ahead of a gap a chunk may be, and how many bytes a run may hold there:
    /// 65536 chunks is 3.2 GB at the default 51200-byte chunks, far beyond any retry
    /// window of an endpoint; without a bound one chunk numbered 10^15 was a walk of 10^15.
    public static let maxChunksAhead = 65536
    public static let maxBytesAhead: Int64 = 256 << 20
    /// `stderr` of `finished` is kept up to this many bytes (the endpoint sends its tail).
    public static let maxStderrBytes = 1 << 20

    public let database: any PlatformDatabase
    /// Run rows kept at most (`max-runs`): a new stream beyond it makes room by removing
    /// the oldest finished run, or is refused while every run is running. The retention
    /// sweep keeps the count there anyway; this holds between sweeps, whatever an
    /// endpoint sends.
    public let maxRuns: Int

    public init(database: any PlatformDatabase, maxRuns: Int = 100_000) {
        self.database = database
        self.maxRuns = maxRuns
    }

    /// What a message did: the run it belongs to, and whether it changed anything (a
    /// repeated chunk or `finished` does not).
    public struct Receipt: Sendable, Equatable {
        public var run: RunRecord
        public var changed: Bool
    }

    /// Stores one message of `endpoint`'s stream; committed when this returns.
    public func receive(_ message: SubmitMessage, from endpoint: String, now: Int64 = Clock.milliseconds()) async throws -> Receipt {
        let trace = message.trace
        guard !trace.isEmpty, trace.utf8.count <= 4096, !trace.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) else {
            throw Refusal.badTrace
        }
        if case .chunk(_, let no, _) = message, no < 0 { throw Refusal.negativeChunkNumber }
        return try await database.write { sql in
            var run = try await Self.run(endpoint: endpoint, filePath: trace, creatingAt: now, maxRuns: maxRuns, in: sql)
            switch message {
            case .start:
                return Receipt(run: run, changed: false)
            case let .chunk(_, no, data):
                let changed = try await Self.store(chunk: no, data: data, of: &run, in: sql)
                return Receipt(run: run, changed: changed)
            case let .finished(_, stderr, code):
                guard run.finished == nil else { return Receipt(run: run, changed: false) }
                run.finished = now
                run.code = Int64(code)
                run.stderr = String(decoding: Data(stderr.utf8).suffix(Self.maxStderrBytes), as: UTF8.self)
                try await sql.raw(
                    "UPDATE runs SET finished = \(bind: now), code = \(bind: run.code), stderr = \(bind: run.stderr) WHERE id = \(bind: run.id)"
                ).run()
                return Receipt(run: run, changed: true)
            }
        }
    }

    /// The run of `(endpoint, filePath)`, created (with a new id) if this is its first message.
    static func run(endpoint: String, filePath: String, creatingAt now: Int64, maxRuns: Int, in sql: any SQLDatabase) async throws -> RunRecord {
        if let run = try await sql.raw("SELECT * FROM runs WHERE endpoint = \(bind: endpoint) AND file_path = \(bind: filePath)")
            .first(decoding: RunRecord.self, with: .platform)
        {
            return run
        }
        let count = try await sql.count("SELECT COUNT(*) AS n FROM runs")
        if count >= maxRuns {
            guard
                let oldest = try await sql.raw("SELECT id FROM runs WHERE finished IS NOT NULL ORDER BY finished LIMIT 1")
                    .first(decodingColumn: "id", as: String.self)
            else { throw Refusal.tooManyRuns(limit: maxRuns) }
            try await sql.raw("DELETE FROM chunks WHERE run = \(bind: oldest)").run()
            try await sql.raw("DELETE FROM runs WHERE id = \(bind: oldest)").run()
        }
        let run = RunRecord(
            id: UUID().uuidString.lowercased(),
            endpoint: endpoint,
            filePath: filePath,
            session: nil,
            analysis: nil,
            started: now,
            finished: nil,
            code: nil,
            stderr: nil,
            chunks: 0,
            bytes: 0,
            storedBytes: 0,
            highestNo: -1,
            gaps: "[]"
        )
        try await sql.raw(
            """
            INSERT INTO runs (id, endpoint, file_path, started, chunks, bytes, stored_bytes, highest_no, gaps, scan_tail)
            VALUES (\(bind: run.id), \(bind: endpoint), \(bind: filePath), \(bind: now), 0, 0, 0, -1, '[]', \(bind: Data()))
            """
        ).run()
        return run
    }

    /// Keeps chunk `no` unless it is a repeat (same bytes: nothing changes; other bytes:
    /// `conflict`), then advances the contiguous prefix over every chunk now in order.
    static func store(chunk no: Int, data: Data, of run: inout RunRecord, in sql: any SQLDatabase) async throws -> Bool {
        if let earlier = try await sql.raw("SELECT data FROM chunks WHERE run = \(bind: run.id) AND no = \(bind: no)")
            .first(decodingColumn: "data", as: Data.self)
        {
            guard earlier == data else { throw Refusal.conflict(no: no) }
            return false
        }
        if Int64(no) > run.chunks {
            guard Int64(no) - run.chunks < Int64(maxChunksAhead) else { throw Refusal.tooFarAhead(no: no, next: run.chunks) }
            guard run.storedBytes - run.bytes + Int64(data.count) <= maxBytesAhead else { throw Refusal.tooManyBytesAhead(no: no) }
        }
        try await sql.raw("INSERT INTO chunks (run, no, data) VALUES (\(bind: run.id), \(bind: no), \(bind: data))").run()
        run.storedBytes += Int64(data.count)
        run.highestNo = max(run.highestNo, Int64(no))
        if Int64(no) == run.chunks {
            try await advance(&run, over: data, in: sql)
        }
        try await sql.raw(
            """
            UPDATE runs SET chunks = \(bind: run.chunks), bytes = \(bind: run.bytes), stored_bytes = \(bind: run.storedBytes),
            highest_no = \(bind: run.highestNo), gaps = \(bind: run.gaps) WHERE id = \(bind: run.id)
            """
        ).run()
        return true
    }

    /// Moves the contiguous prefix over `data` (the chunk it expected next) and over the
    /// chunks that were waiting ahead of it, in order while they follow on, scanning each
    /// for `resumed` tuples (`ResumeGapScanner`; the unfinished last line is kept in
    /// `scan_tail`). Held chunks are read one at a time: at most one chunk in memory.
    static func advance(_ run: inout RunRecord, over data: Data, in sql: any SQLDatabase) async throws {
        var tail =
            try await sql.raw("SELECT scan_tail FROM runs WHERE id = \(bind: run.id)").first(decodingColumn: "scan_tail", as: Data.self) ?? Data()
        var gaps = ResumeGapScanner.gaps(fromJSON: run.gaps)
        let before = gaps.count
        var next: Data? = data
        while let chunk = next {
            gaps += ResumeGapScanner.scan(chunk, tail: &tail)
            run.chunks += 1
            run.bytes += Int64(chunk.count)
            next = nil
            if run.highestNo >= run.chunks {
                next = try await sql.raw("SELECT data FROM chunks WHERE run = \(bind: run.id) AND no = \(bind: run.chunks)")
                    .first(decodingColumn: "data", as: Data.self)
            }
        }
        if gaps.count != before { run.gaps = ResumeGapScanner.json(Array(gaps.prefix(ResumeGapScanner.maxGaps))) }
        try await sql.raw("UPDATE runs SET scan_tail = \(bind: tail) WHERE id = \(bind: run.id)").run()
    }

    // MARK: Reading

    public func run(_ id: String) async throws -> RunRecord? {
        try await database.read { sql in
            try await sql.raw("SELECT * FROM runs WHERE id = \(bind: id)").first(decoding: RunRecord.self, with: .platform)
        }
    }

    public func run(endpoint: String, filePath: String) async throws -> RunRecord? {
        try await database.read { sql in
            try await sql.raw("SELECT * FROM runs WHERE endpoint = \(bind: endpoint) AND file_path = \(bind: filePath)")
                .first(decoding: RunRecord.self, with: .platform)
        }
    }

    /// Newest first, at most `limit`.
    public func runs(endpoint: String? = nil, session: String? = nil, limit: Int = 100) async throws -> [RunRecord] {
        try await database.read { sql in
            var query = sql.select().column("*").from("runs")
            if let endpoint { query = query.where("endpoint", .equal, endpoint) }
            if let session { query = query.where("session", .equal, session) }
            return try await query.orderBy("started", .descending).orderBy("id").limit(limit).all(decoding: RunRecord.self, with: .platform)
        }
    }

    /// The bytes of chunks `from..<upTo` of the contiguous prefix, in order, at most
    /// `maxChunks` of them (a reader pages through a long stream without holding it).
    public func chunks(of run: String, from: Int64, upTo: Int64, maxChunks: Int = 64) async throws -> [Data] {
        guard from < upTo else { return [] }
        return try await database.read { sql in
            try await sql.raw(
                "SELECT data FROM chunks WHERE run = \(bind: run) AND no >= \(bind: from) AND no < \(bind: upTo) ORDER BY no LIMIT \(bind: maxChunks)"
            ).all(decodingColumn: "data", as: Data.self)
        }
    }

    /// Links a run to the session that started it (the run row is made if the stream has
    /// not begun yet).
    public func claim(
        endpoint: String,
        filePath: String,
        session: String?,
        analysis: String?,
        now: Int64 = Clock.milliseconds()
    ) async throws -> RunRecord {
        try await database.write { sql in
            var run = try await Self.run(endpoint: endpoint, filePath: filePath, creatingAt: now, maxRuns: maxRuns, in: sql)
            run.session = session ?? run.session
            run.analysis = analysis ?? run.analysis
            try await sql.raw("UPDATE runs SET session = \(bind: run.session), analysis = \(bind: run.analysis) WHERE id = \(bind: run.id)").run()
            return run
        }
    }
}

extension SQLRowDecoder {
    /// Columns are snake_case, properties camelCase.
    static let platform = SQLRowDecoder(keyDecodingStrategy: .convertFromSnakeCase)
}
