import Foundation
import Hummingbird
import PlatformStore

/// `GET /api/runs`, `GET /api/runs/{id}` and `GET /api/runs/{id}/stream` (viewer): every
/// stream received is a run; its stream is the contiguous bytes received so far, byte for
/// byte, read in pages of chunks (never the whole run in memory), and with `follow=true`
/// the answer stays open and carries new bytes as they are committed until the run has
/// finished and all its contiguous bytes are written.
struct RunRoutes {
    let platform: Platform
    let followers: StreamFollowers

    /// Open follows at once (each a connection and a waiter); 503 beyond.
    static let maxFollowers = 256
    /// Chunks read per page: 64 chunks of the default 51200 bytes are 3.2 MB.
    static let chunksPerPage = 64
    /// A follower re-reads the run this often even unwoken: a wake-up missed between its
    /// read and its wait costs at most this.
    static let followRecheck = Duration.seconds(2)
    /// A follow ends after `follow-idle-seconds` without new bytes (the client follows
    /// again if it wants more); see `follow`.
    let followIdleLimit: Duration

    init(platform: Platform, maxFollowers: Int = maxFollowers, followIdleLimit: Duration? = nil) {
        self.platform = platform
        followers = StreamFollowers(limit: maxFollowers)
        self.followIdleLimit = followIdleLimit ?? .seconds(platform.settings.followIdleSeconds)
    }

    func add(to api: RouterGroup<PlatformContext>) {
        api.get("runs", use: list)
        api.get("runs/:id", use: show)
        api.get("runs/:id/stream", use: stream)
    }

    @Sendable func list(_ request: Request, context: PlatformContext) async throws -> Response {
        _ = try context.require(.viewer)
        let query = request.uri.queryParameters
        let runs = try await platform.runs.runs(
            endpoint: query.get("endpoint")?.lowercased(),
            session: query.get("session"),
            limit: try ListLimit.parse(query.get("limit"))
        )
        return try PlatformJSON.response(runs.map(RunView.init))
    }

    @Sendable func show(_ request: Request, context: PlatformContext) async throws -> Response {
        _ = try context.require(.viewer)
        return try PlatformJSON.response(RunView(record: try await run(context)))
    }

    func run(_ context: PlatformContext) async throws -> RunRecord {
        let id = try context.parameters.require("id")
        guard Self.isValidID(id), let run = try await platform.runs.run(id) else { throw PlatformRefusal(.notFound, "no run \(id)") }
        return run
    }

    /// A run id: 1-64 of `[A-Za-z0-9_-]`.
    static func isValidID(_ id: String) -> Bool {
        (1...64).contains(id.utf8.count)
            && id.utf8.allSatisfy {
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0)
                    || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_")
            }
    }

    @Sendable func stream(_ request: Request, context: PlatformContext) async throws -> Response {
        _ = try context.require(.viewer)
        let run = try await run(context)
        let follow: Bool
        switch request.uri.queryParameters.get("follow") {
        case nil, "false": follow = false
        case "true": follow = true
        default: throw PlatformRefusal(.badRequest, "follow: true or false")
        }
        let headers: HTTPFields = [.contentType: "application/x-ndjson"]
        guard follow else {
            let upTo = run.chunks
            return Response(
                status: .ok,
                headers: headers,
                body: ResponseBody(contentLength: Int(run.bytes)) { writer in
                    _ = try await self.write(run.id, from: 0, upTo: upTo, to: &writer)
                    try await writer.finish(nil)
                }
            )
        }
        guard followers.enter() else {
            throw PlatformRefusal(.serviceUnavailable, "\(followers.limit) streams are followed already; try again later, or read without follow")
        }
        return Response(
            status: .ok,
            headers: headers,
            body: ResponseBody { writer in
                defer { self.followers.leave() }
                try await self.follow(run.id, to: &writer)
                try await writer.finish(nil)
            }
        )
    }

    /// Writes chunks `from..<upTo` in pages; returns the next chunk number.
    func write(_ run: String, from: Int64, upTo: Int64, to writer: inout any ResponseBodyWriter) async throws -> Int64 {
        var next = from
        while next < upTo {
            let page = try await platform.runs.chunks(of: run, from: next, upTo: upTo, maxChunks: Self.chunksPerPage)
            if page.isEmpty { break }  // removed by retention meanwhile
            try await writer.write(contentsOf: page.map { ByteBuffer(bytes: $0) })
            next += Int64(page.count)
        }
        return next
    }

    /// Writes the contiguous bytes as they come until the run has finished and they are
    /// all written (or the run is removed, or the client goes away, or nothing new came
    /// for `followIdleLimit`).
    func follow(_ id: String, to writer: inout any ResponseBodyWriter) async throws {
        var next: Int64 = 0
        var lastGrowth = ContinuousClock.now
        while !Task.isCancelled {
            guard let run = try await platform.runs.run(id) else { return }
            let before = next
            next = try await write(id, from: next, upTo: run.chunks, to: &writer)
            if next > before { lastGrowth = .now }
            if run.finished != nil && next >= run.chunks {
                // Finished: chunks still missing may come (delivery is at least once),
                // but the answer ends once what was contiguous at the end is written.
                return
            }
            if next >= run.chunks {
                // A client gone is noticed when bytes are written to it, not while the
                // run is quiet (the server reads nothing from a connection while it
                // answers): a follow of a run quiet for `followIdleLimit` ends, so a
                // follower that left gives its place back then at the latest.
                let quiet = ContinuousClock.now - lastGrowth
                guard quiet < followIdleLimit else { return }
                await platform.streamGrowth.wait(for: id, timeout: min(Self.followRecheck, followIdleLimit - quiet))
            }
        }
    }
}
