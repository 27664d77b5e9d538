import Foundation

/// A run's stream as lines, for a run whose tracer was relaunched after restarts of the
/// endpoint: each tracer's output holds its own `ready` line, and the endpoint writes a
/// `["resumed", stoppedAtNs, resumedAtNs]` line right after a relaunched tracer's.
struct RelaunchedStream {
    /// The lines without their newlines, empty ones left out (bpftrace ends a map's print
    /// with one).
    let lines: [String]
    /// Each line decoded; nil for a line that is not a whole stream line (where the file
    /// of an endpoint that died ended mid-line, before the endpoint ended it with "\n").
    let decoded: [StreamLine?]

    init(_ data: Data) {
        let pieces = data.split(separator: UInt8(ascii: "\n"))
        lines = pieces.map { String(decoding: $0, as: UTF8.self) }
        decoded = pieces.map { try? JSONDecoder().decode(StreamLine.self, from: Data($0)) }
    }

    /// Where the lines whose tuple starts with `event` are.
    func indices(of event: String) -> [Int] {
        decoded.indices.filter { decoded[$0]?.event == event }
    }

    var readyIndices: [Int] { indices(of: "ready") }
    var resumedIndices: [Int] { indices(of: "resumed") }
    var brokenIndices: [Int] { decoded.indices.filter { decoded[$0] == nil } }

    /// The tuple of the line at `index` (nil: not a `value` line).
    func tuple(at index: Int) -> [TupleElement]? { decoded[index]?.data }

    /// The `resumed` line as the endpoint writes it, byte for byte (`StreamValueLine`).
    static func resumedLine(stoppedAtNs: Int64, resumedAtNs: Int64) -> String {
        #"{"type": "value", "data": ["resumed",\#(stoppedAtNs),\#(resumedAtNs)]}"#
    }
}

/// Wall-clock nanoseconds since the epoch, as the endpoint's `resumed` line gives times.
func wallClockNanoseconds(_ date: Date) -> Int64 {
    Int64((date.timeIntervalSince1970 * 1e9).rounded())
}
