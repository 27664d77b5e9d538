import Foundation
import HTTPTypes
import Hummingbird
import PlatformStore
import RunPictures

/// `GET /api/runs/{id}/folded`, `/profile.pb.gz`, `/flamegraph.svg` and `/histograms`
/// (viewer, like `/stream`): the run's contiguous stream read page by page through a
/// `RunStreamScanner` (stack maps summed over all their prints), then drawn. A run
/// without what a route draws: 409 naming it (docs/platform.md "Pictures").
struct PictureRoutes {
    let platform: Platform
    /// Scans at once: each reads a whole stream (CPU bound; measured in a release build:
    /// 54 MB/s of cpu-profile map prints, about 20 s a GiB, and 2 GB/s of uprobe event lines,
    /// which are only tested by their prefix), so a few clients cannot take every core;
    /// 503 beyond.
    let scans = StreamFollowers(limit: 4)
    /// Where the scanning and drawing run: threads of their own, never Swift's shared pool,
    /// whose two threads here also serve `/submit` (a 20 s scan there would stall it).
    static let drawing = DispatchQueue(label: "lambda-platform.pictures", attributes: .concurrent)

    /// `work` on `drawing`'s threads.
    static func drawn<Drawn: Sendable>(_ work: @escaping @Sendable () throws -> Drawn) async throws -> Drawn {
        try await withCheckedContinuation { continuation in
            drawing.async { continuation.resume(returning: Result { try work() }) }
        }.get()
    }

    /// One scan's state, touched only by the scan's own steps on `drawing`, one at a time.
    final class ScanState: @unchecked Sendable {
        var scanner = RunStreamScanner()
    }

    func add(to api: RouterGroup<PlatformContext>) {
        api.get("runs/:id/folded", use: folded)
        api.get("runs/:id/profile.pb.gz", use: pprof)
        api.get("runs/:id/flamegraph.svg", use: flameGraph)
        api.get("runs/:id/histograms", use: histograms)
    }

    @Sendable func folded(_ request: Request, context: PlatformContext) async throws -> Response {
        let (_, scanner, profile) = try await stacks(request, context)
        return answer(try await Self.drawn { Array(FoldedStacks.text(of: profile).utf8) }, type: "text/plain; charset=utf-8", scanner: scanner)
    }

    @Sendable func pprof(_ request: Request, context: PlatformContext) async throws -> Response {
        let (_, scanner, profile) = try await stacks(request, context)
        let binary = scanner.binary
        let bytes = try await Self.drawn { try Gzip.compress(PprofProfile.bytes(of: profile, binary: binary)) }
        return answer(bytes, type: "application/octet-stream", scanner: scanner)
    }

    @Sendable func flameGraph(_ request: Request, context: PlatformContext) async throws -> Response {
        let (run, scanner, profile) = try await stacks(request, context)
        let title = "\(run.analysis ?? profile.map), run \(run.id)"
        return answer(try await Self.drawn { Array(FlameGraphSVG.svg(of: profile, title: title).utf8) }, type: "image/svg+xml", scanner: scanner)
    }

    @Sendable func histograms(_ request: Request, context: PlatformContext) async throws -> Response {
        let (run, scanner) = try await scan(context)
        guard !scanner.histograms.isEmpty else {
            throw PlatformRefusal(.conflict, "run \(run.id) holds no histogram: no hist() or lhist() map was printed in its stream")
        }
        let histograms = scanner.histograms
        return answer(try await Self.drawn { Array(HistogramJSON.text(of: histograms).utf8) }, type: "application/json", scanner: scanner)
    }

    /// The run, its scan, and the stack map asked for (`?map=@name`, else the first).
    func stacks(_ request: Request, _ context: PlatformContext) async throws -> (RunRecord, RunStreamScanner, StackProfile) {
        let (run, scanner) = try await scan(context)
        let wanted = request.uri.queryParameters.get("map")
        guard let profile = scanner.stackMaps.first(where: { wanted == nil || $0.map == wanted }) else {
            let maps = scanner.stackMaps.map(\.map).joined(separator: ", ")
            if let wanted {
                throw PlatformRefusal(.conflict, "run \(run.id) has no stack map \(wanted)" + (maps.isEmpty ? "" : "; its stack maps: \(maps)"))
            }
            throw PlatformRefusal(
                .conflict,
                "run \(run.id) holds no stack map: no map keyed by ustack or kstack was printed in its stream (cpu-profile and off-cpu print them)"
            )
        }
        return (run, scanner, profile)
    }

    func scan(_ context: PlatformContext) async throws -> (RunRecord, RunStreamScanner) {
        _ = try context.require(.viewer)
        let id = try context.parameters.require("id")
        guard RunRoutes.isValidID(id), let run = try await platform.runs.run(id) else { throw PlatformRefusal(.notFound, "no run \(id)") }
        guard scans.enter() else {
            throw PlatformRefusal(.serviceUnavailable, "\(scans.limit) runs are being drawn already; try again later", retryAfter: 1)
        }
        defer { scans.leave() }
        let state = ScanState()
        var next: Int64 = 0
        while next < run.chunks {
            let page = try await platform.runs.chunks(of: run.id, from: next, upTo: run.chunks, maxChunks: RunRoutes.chunksPerPage)
            if page.isEmpty { break }  // removed by retention meanwhile
            try await Self.drawn { for chunk in page { state.scanner.consume(chunk) } }
            next += Int64(page.count)
        }
        let scanner = try await Self.drawn {
            state.scanner.finish()
            return state.scanner
        }
        return (run, scanner)
    }

    /// Lines the scan skipped (longer than its bound, or unreadable) are counted in
    /// `Lambda-Skipped-Lines`, so a picture missing part of a run says so.
    func answer(_ bytes: [UInt8], type: String, scanner: RunStreamScanner) -> Response {
        var headers: HTTPFields = [.contentType: type]
        if let skipped = HTTPField.Name("Lambda-Skipped-Lines") { headers[skipped] = "\(scanner.skippedLines)" }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
