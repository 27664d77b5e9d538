import Foundation

/// One row of `runs`: a stream received from an endpoint, by the id the platform gave it.
public struct RunRecord: Codable, Sendable, Equatable {
    public var id: String
    public var endpoint: String
    /// The endpoint's `filePath` for the run: the stream's `trace` field.
    public var filePath: String
    public var session: String?
    public var analysis: String?
    /// Milliseconds since the epoch: its first message, and its `finished`.
    public var started: Int64
    public var finished: Int64?
    public var code: Int64?
    public var stderr: String?
    /// The contiguous prefix received: chunks 0..<chunks, `bytes` long.
    public var chunks: Int64
    public var bytes: Int64
    /// Every chunk kept, those ahead of a gap included.
    public var storedBytes: Int64
    /// The highest `no` received (-1: none).
    public var highestNo: Int64
    /// JSON array of the `["resumed", stoppedAtNs, resumedAtNs]` tuples seen.
    public var gaps: String

    /// `finished` received and every chunk from 0 to the highest `no` received.
    public var complete: Bool { finished != nil && chunks == highestNo + 1 }
}
