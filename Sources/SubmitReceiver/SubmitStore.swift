import Foundation
import PlatformWire

/// Reassembles `/submit` streams on disk: `<out>/<name>.ndjson` holds the decoded
/// chunks in `no` order, `<out>/<name>.status.json` the verdict. With many endpoints
/// (`perEndpoint`) both are in `<out>/<endpoint uuid>/`: two endpoints may well send
/// the same trace name.
///
/// The status file is rewritten at `start`, at `finished` and whenever a chunk is not
/// simply the next one (a duplicate, a conflict, one ahead of a gap, one out of
/// protocol order), not for every in-order chunk: an atomic file replacement per chunk
/// cost more than the rest of the receiver at 51200-byte chunks. `GET /status` is live.
public actor SubmitStore {
    public enum Rejection: Error, Equatable, CustomStringConvertible {
        case badTraceName
        case negativeChunkNumber
        /// `no` is `maxChunksAhead` or more past the next chunk expected.
        case chunkTooFarAhead(no: Int, next: Int)
        /// Holding the chunk ahead of a gap would pass `maxPendingBytes`.
        case tooManyPendingBytes(no: Int)

        public var description: String {
            switch self {
            case .badTraceName: return "trace: not a usable trace name"
            case .negativeChunkNumber: return "no: must not be negative"
            case let .chunkTooFarAhead(no, next):
                return "no: chunk \(no) is \(SubmitStore.maxChunksAhead) or more ahead of the next expected chunk \(next); refused"
            case let .tooManyPendingBytes(no):
                return
                    "no: chunk \(no) arrived ahead of a gap, and the chunks already held there reach \(SubmitStore.maxPendingBytes >> 20) MiB; refused"
            }
        }
    }

    /// Chunks that arrive ahead of a gap are held in memory until it fills, so how far
    /// ahead one may be and how much is held are bounded: without it one chunk numbered
    /// 10^15 made `finished` walk 10^15 numbers. 65536 chunks is 3.2 GB of output
    /// at the default 51200-byte chunks, far more than any retry window of the
    /// endpoint; 256 MiB is what one stream may hold ahead.
    public static let maxChunksAhead = 65536
    public static let maxPendingBytes = 256 << 20
    /// `ReceivedTrace.gaps` lists at most this many numbers; `missingChunks` counts all.
    public static let maxListedGaps = 1000

    struct Stream {
        var info: ReceivedTrace
        var file: FileHandle
        /// Where its files are (the endpoint's directory, per endpoint).
        var folder: String
        /// Offset and length of each appended chunk, to compare retransmissions.
        var extents: [(offset: Int64, length: Int)] = []
        /// Chunks that arrived ahead of a gap, and their bytes.
        var pending: [Int: Data] = [:]
        var pendingBytes = 0
    }

    public nonisolated let directory: String
    public nonisolated let perEndpoint: Bool
    /// What endpoints posted to `/events`.
    public nonisolated let events = ReceivedEvents()
    /// Keyed by `streamKey`: the trace name, with the endpoint's uuid in front per endpoint.
    private var streams: [String: Stream] = [:]

    public init(directory: String, perEndpoint: Bool = false) throws {
        self.directory = directory
        self.perEndpoint = perEndpoint
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    private func streamKey(_ trace: String, endpoint: String?) -> String {
        perEndpoint ? "\(endpoint?.lowercased() ?? "")/\(trace)" : trace
    }

    /// The directory a stream's files go to; nil when `endpoint` is not a uuid in the
    /// per-endpoint layout (it names a directory).
    private func streamDirectory(endpoint: String?) -> String? {
        guard perEndpoint else { return directory }
        guard let endpoint, UUID(uuidString: endpoint) != nil else { return nil }
        return "\(directory)/\(endpoint.lowercased())"
    }

    /// `/tmp/<uuid>.trace` is stored as `<uuid>.trace`: the base name, restricted to
    /// letters, digits, `.`, `_` and `-`.
    public static func fileName(for trace: String) -> String? {
        let base = trace.split(separator: "/").last.map(String.init) ?? ""
        guard !base.isEmpty, base != ".", base != "..", base.count <= 200,
            base.unicodeScalars.allSatisfy({ $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "._-".unicodeScalars.contains($0)) })
        else { return nil }
        return base
    }

    public func streamPath(for trace: String, endpoint: String? = nil) -> String? {
        guard let folder = streamDirectory(endpoint: endpoint) else { return nil }
        return Self.fileName(for: trace).map { "\(folder)/\($0).ndjson" }
    }

    /// Stores one message of the stream `trace` of `endpoint` (the uuid its Authorization proved).
    public func receive(_ message: SubmitMessage, from endpoint: String? = nil) throws -> ReceivedTrace {
        switch message {
        case .start(let trace):
            var stream = try takeStream(trace, endpoint: endpoint)
            defer { streams[streamKey(trace, endpoint: endpoint)] = stream }
            if stream.info.verdict != .receiving { stream.info.protocolErrors.append("start after finished") }
            stream.info.started = true
            return try store(stream)
        case let .chunk(trace, no, bytes):
            guard no >= 0 else { throw Rejection.negativeChunkNumber }
            var stream = try takeStream(trace, endpoint: endpoint)
            defer { streams[streamKey(trace, endpoint: endpoint)] = stream }
            if !stream.info.started { stream.info.protocolErrors.append("chunk \(no) before start") }
            if stream.info.verdict != .receiving { stream.info.protocolErrors.append("chunk \(no) after finished") }
            var irregular = !stream.info.started || stream.info.verdict != .receiving || no != stream.info.chunks
            if no < stream.info.chunks {
                let extent = stream.extents[no]
                try stream.file.seek(toOffset: UInt64(extent.offset))
                let first = try stream.file.read(upToCount: extent.length) ?? Data()
                if first == bytes {
                    stream.info.duplicates += 1
                } else if !stream.info.conflicts.contains(no) {
                    stream.info.conflicts.append(no)
                }
                try stream.file.seekToEnd()
            } else if no > stream.info.chunks {
                if let earlier = stream.pending[no] {
                    if earlier != bytes, !stream.info.conflicts.contains(no) { stream.info.conflicts.append(no) }
                } else {
                    guard no - stream.info.chunks < Self.maxChunksAhead else {
                        stream.info.refusedChunks += 1
                        throw Rejection.chunkTooFarAhead(no: no, next: stream.info.chunks)
                    }
                    guard stream.pendingBytes + bytes.count <= Self.maxPendingBytes else {
                        stream.info.refusedChunks += 1
                        throw Rejection.tooManyPendingBytes(no: no)
                    }
                    stream.pending[no] = bytes
                    stream.pendingBytes += bytes.count
                }
            } else {
                try append(bytes, to: &stream)
                while let next = stream.pending.removeValue(forKey: stream.info.chunks) {
                    stream.pendingBytes -= next.count
                    try append(next, to: &stream)
                    irregular = true
                }
            }
            return try store(stream, writingStatus: irregular)
        case let .finished(trace, stderr, code):
            var stream = try takeStream(trace, endpoint: endpoint)
            defer { streams[streamKey(trace, endpoint: endpoint)] = stream }
            if !stream.info.started { stream.info.protocolErrors.append("finished before start") }
            stream.info.code = code
            stream.info.stderr = stderr
            (stream.info.gaps, stream.info.missingChunks) = Self.gaps(after: stream.info.chunks, pending: stream.pending.keys)
            stream.info.firstChunkBytes = stream.extents.first?.length
            stream.info.irregularChunks = stream.extents.dropLast().enumerated()
                .filter { $0.element.length != stream.extents[0].length }.map(\.offset)
            if stream.info.missingChunks > 0 || !stream.info.conflicts.isEmpty || stream.info.refusedChunks > 0 {
                stream.info.verdict = .incomplete
            } else {
                stream.info.verdict = code == 0 ? .complete : .failed
            }
            try stream.file.synchronize()
            return try store(stream)
        }
    }

    /// The numbers missing from `next` up to the highest chunk held ahead: at most
    /// `maxListedGaps` of them listed, all counted. Walks the chunks held, not the
    /// numbers between them.
    static func gaps(after next: Int, pending: some Collection<Int>) -> (listed: [Int], count: Int) {
        var listed: [Int] = []
        var count = 0
        var expected = next
        for no in pending.sorted() {
            count += no - expected
            if listed.count < maxListedGaps {
                listed += expected..<min(no, expected + maxListedGaps - listed.count)
            }
            expected = no + 1
        }
        return (listed, count)
    }

    public func traces() -> [ReceivedTrace] {
        streams.values.map(\.info).sorted { ($0.endpoint ?? "", $0.trace) < ($1.endpoint ?? "", $1.trace) }
    }

    public func trace(_ trace: String, endpoint: String? = nil) -> ReceivedTrace? { streams[streamKey(trace, endpoint: endpoint)]?.info }

    private func append(_ bytes: Data, to stream: inout Stream) throws {
        try stream.file.write(contentsOf: bytes)
        stream.extents.append((stream.info.bytes, bytes.count))
        stream.info.bytes += Int64(bytes.count)
        stream.info.chunks += 1
    }

    /// The stream, taken out of `streams` while a message changes it (the caller puts it
    /// back): a copy left in the dictionary would make every chunk copy `extents` whole.
    private func takeStream(_ trace: String, endpoint: String?) throws -> Stream {
        if let stream = streams.removeValue(forKey: streamKey(trace, endpoint: endpoint)) { return stream }
        guard let folder = streamDirectory(endpoint: endpoint), let path = streamPath(for: trace, endpoint: endpoint) else {
            throw Rejection.badTraceName
        }
        if perEndpoint { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
        FileManager.default.createFile(atPath: path, contents: nil)
        let file = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        try file.truncate(atOffset: 0)
        var info = ReceivedTrace(trace: trace)
        info.endpoint = endpoint?.lowercased()
        return Stream(info: info, file: file, folder: folder)
    }

    private func store(_ stream: Stream, writingStatus: Bool = true) throws -> ReceivedTrace {
        if writingStatus, let name = Self.fileName(for: stream.info.trace) {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            try encoder.encode(stream.info).write(to: URL(fileURLWithPath: "\(stream.folder)/\(name).status.json"), options: .atomic)
        }
        return stream.info
    }
}
