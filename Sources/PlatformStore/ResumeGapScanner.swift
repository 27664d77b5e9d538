import Foundation
import PlatformWire

#if canImport(Glibc)
import Glibc
#endif

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

    /// One gap (the type the endpoint writes the line from).
    public typealias Gap = ResumeGap

    /// The gaps completed by `data`, which follows the bytes `tail` ends; `tail` becomes
    /// the unfinished line after `data` (truncated past `maxLineBytes`).
    ///
    /// Lines are only split when the bytes hold the marker `"resumed"`, else just
    /// the last unfinished line is kept: a loop over every byte of every chunk was a third
    /// of the platform's CPU at 51200-byte chunks (perf, make bench's platform group).
    public static func scan(_ data: Data, tail: inout Data) -> [Gap] {
        let newline = UInt8(ascii: "\n")
        guard
            let firstNewline = data.withUnsafeBytes({ bytes -> Int? in
                guard let base = bytes.baseAddress, let found = memchr(base, Int32(newline), bytes.count) else { return nil }
                return base.distance(to: UnsafeRawPointer(found))
            })
        else {
            append(data, to: &tail)
            return []
        }
        var gaps: [Gap] = []
        // The first line finishes the one `tail` began.
        let firstLine = data.prefix(firstNewline)
        if tail.isEmpty {
            if let gap = gap(in: firstLine) { gaps.append(gap) }
        } else {
            append(firstLine, to: &tail)
            if let gap = gap(in: tail) { gaps.append(gap) }
            tail = Data()
        }
        let rest = data.dropFirst(firstNewline + 1)
        guard rest.range(of: marker) != nil else {
            // Backwards to the last newline: the unfinished line is short, or capped.
            let lastNewline = rest.lastIndex(of: newline)
            append(rest[(lastNewline.map { rest.index(after: $0) } ?? rest.startIndex)...], to: &tail)
            return gaps
        }
        var start = rest.startIndex
        while start < rest.endIndex {
            guard let newlineIndex = rest[start...].firstIndex(of: newline) else {
                append(rest[start...], to: &tail)
                break
            }
            if let gap = gap(in: rest[start..<newlineIndex]) { gaps.append(gap) }
            start = rest.index(after: newlineIndex)
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
