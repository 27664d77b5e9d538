import Foundation

/// What the receiver knows of one trace's stream, and the verdict it writes next to it.
public struct ReceivedTrace: Codable, Sendable, Equatable {
    public enum Verdict: String, Codable, Sendable {
        /// `finished` not yet received.
        case receiving
        /// Every chunk 0..<n arrived, `finished` with code 0.
        case complete
        /// `finished` arrived but chunks are missing, conflict or were refused.
        case incomplete
        /// `finished` arrived with a non-zero code.
        case failed
    }

    public var trace: String
    /// The uuid of the endpoint that sent it (its Authorization's).
    public var endpoint: String?
    public var verdict: Verdict = .receiving
    public var started = false
    /// Chunks appended in order so far (the next expected `no`).
    public var chunks = 0
    public var bytes: Int64 = 0
    /// Retransmissions whose bytes equal the first copy (at-least-once delivery).
    public var duplicates = 0
    /// Chunk numbers that arrived twice with different bytes.
    public var conflicts: [Int] = []
    /// Chunk numbers missing when `finished` arrived, below the highest chunk received
    /// (the first `SubmitStore.maxListedGaps` of them).
    public var gaps: [Int] = []
    /// How many chunk numbers are missing in all (`gaps` may list fewer).
    public var missingChunks = 0
    /// Chunks refused with 400 because they were too far ahead of a gap (see
    /// `SubmitStore.maxChunksAhead`): the stream cannot be complete.
    public var refusedChunks = 0
    /// Chunks other than the last whose size differs from chunk 0's (every chunk but
    /// the last must be exactly `submit-chunk-size` bytes).
    public var irregularChunks: [Int] = []
    /// Size of chunk 0, i.e. the endpoint's chunk size when there are several chunks.
    public var firstChunkBytes: Int?
    /// Messages out of protocol order, e.g. a chunk before `start`.
    public var protocolErrors: [String] = []
    public var code: Int32?
    public var stderr: String?

    public init(trace: String) {
        self.trace = trace
    }
}
