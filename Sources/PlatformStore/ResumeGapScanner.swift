import Foundation
import PlatformWire

/// Finds the `["resumed", stoppedAtNs, resumedAtNs]` tuples an endpoint inserts into a
/// stream when it relaunched a run after a restart (docs/delivery.md): whole lines
/// `{"type": "value", "data": ["resumed",S,R]}`. The contiguous bytes are scanned as they
/// are committed, chunk after chunk, so a line may cross a chunk boundary: the unfinished
/// last line is carried in `tail` (kept in the run's row between chunks).
///
/// Such a line is about 60 bytes; a line longer than `maxLineBytes` cannot be one, so
/// only its end is awaited and `tail` never holds more than `maxLineBytes + 1` bytes
/// whatever a tracer prints.
public enum ResumeGapScanner {
    public static let maxLineBytes = 256
    /// A run keeps at most this many gaps: an endpoint relaunches a run at most
    /// `max-run-resumes` times (10 by default), so more is a tracer printing look-alikes.
    public static let maxGaps = 1000

    /// One gap: the wall-clock nanoseconds at the stop and at the relaunch.
    public struct Gap: Sendable, Equatable {
        public var stoppedAtNs: Int64
        public var resumedAtNs: Int64

        public init(stoppedAtNs: Int64, resumedAtNs: Int64) {
            self.stoppedAtNs = stoppedAtNs
            self.resumedAtNs = resumedAtNs
        }
    }

    /// The gaps completed by `data`, which follows the bytes `tail` ends; `tail` becomes
    /// the unfinished line after `data` (truncated past `maxLineBytes`).
    public static func scan(_ data: Data, tail: inout Data) -> [Gap] {
        var gaps: [Gap] = []
        var start = data.startIndex
        while start < data.endIndex {
            guard let newline = data[start...].firstIndex(of: UInt8(ascii: "\n")) else {
                append(data[start...], to: &tail)
                break
            }
            if tail.isEmpty {
                if let gap = gap(in: data[start..<newline]) { gaps.append(gap) }
            } else {
                append(data[start..<newline], to: &tail)
                if let gap = gap(in: tail) { gaps.append(gap) }
                tail = Data()
            }
            start = data.index(after: newline)
        }
        return gaps
    }

    private static func append(_ bytes: Data, to tail: inout Data) {
        let room = maxLineBytes + 1 - tail.count
        if room > 0 { tail.append(bytes.prefix(room)) }
    }

    private static let marker = Data("\"resumed\"".utf8)

    private struct ValueLine: Decodable {
        var type: String
        var data: [JSONValue]
    }

    /// The gap `line` states, nil for every other line (most lines: no `"resumed"` in them).
    static func gap(in line: Data) -> Gap? {
        guard line.count <= maxLineBytes, line.range(of: marker) != nil,
            let value = try? JSONDecoder().decode(ValueLine.self, from: line), value.type == "value",
            value.data.count == 3, value.data[0] == .string("resumed"),
            case .integer(let stopped) = value.data[1], case .integer(let resumed) = value.data[2]
        else { return nil }
        return Gap(stoppedAtNs: stopped, resumedAtNs: resumed)
    }

    /// `gaps` as the run's `gaps` column holds them: `[["resumed",S,R],...]`.
    public static func json(_ gaps: [Gap]) -> String {
        "[" + gaps.map { "[\"resumed\",\($0.stoppedAtNs),\($0.resumedAtNs)]" }.joined(separator: ",") + "]"
    }

    /// The gaps of a `gaps` column (an unreadable one reads as none).
    public static func gaps(fromJSON text: String) -> [Gap] {
        guard let tuples = try? JSONDecoder().decode([[JSONValue]].self, from: Data(text.utf8)) else { return [] }
        return tuples.compactMap { tuple in
            guard tuple.count == 3, case .integer(let stopped) = tuple[1], case .integer(let resumed) = tuple[2] else { return nil }
            return Gap(stoppedAtNs: stopped, resumedAtNs: resumed)
        }
    }
}
