#if canImport(Glibc)
import Glibc
#endif

/// Reads bpftrace's own notices as a run's output streams by, without changing a byte
/// of it: `{"type": "attached_probes", "data": {"probes": N}}` (once, before BEGIN runs)
/// and `{"type": "lost_events", "data": {"events": N}}` (whenever its ring buffer
/// overflowed), summed; and the program's own `["rate-limit", N]` (`EventRateBound`:
/// the program stopped itself).
///
/// Only whole lines that start with the notice count. A traced process cannot forge
/// one: bpftrace escapes every string it prints (a `comm` holding `{"type": ...` comes
/// out as `{\"type\": ...` inside a value line), so a line's first byte is always
/// bpftrace's own, and a value line's first element is the program's literal. Blocks may end anywhere, even inside a line: the start of an
/// unfinished line is kept (at most `longestNotice` bytes) and completed by the next
/// block. Cost: one `memchr` and a prefix compare per line; lines longer than a notice
/// are never copied.
public struct TracerNoticeScanner: Sendable {
    public private(set) var eventsLost: Int64 = 0
    public private(set) var probesAttached: Int?
    /// The last second's events when the program stopped itself for its rate bound.
    public private(set) var rateLimitedEvents: Int64?

    /// Longer than any notice line (the longest, with a 19-digit count, is 66 bytes).
    static let longestNotice = 96
    static let lostPrefix = Array(#"{"type": "lost_events", "data": {"events": "#.utf8)
    static let attachedPrefix = Array(#"{"type": "attached_probes", "data": {"probes": "#.utf8)
    static let suffix = Array("}}".utf8)
    static let rateLimitPrefix = Array(#"{"type": "value", "data": ["rate-limit","#.utf8)
    static let tupleSuffix = Array("]}".utf8)

    /// The start of the line the last block ended in; `nil` when it ended a line.
    private var unfinished: [UInt8]?

    public init() {}

    /// What a block brought: the events lost it reported (0 when none).
    public mutating func scan(_ block: UnsafeRawBufferPointer) -> Int64 {
        guard let base = block.baseAddress, !block.isEmpty else { return 0 }
        var lost: Int64 = 0
        var index = 0
        while index < block.count {
            let newline = memchr(base + index, 0x0A, block.count - index).map { $0 - UnsafeMutableRawPointer(mutating: base) }
            let end = newline ?? block.count
            if var line = unfinished {
                let room = max(0, Self.longestNotice + 1 - line.count)
                line.append(contentsOf: UnsafeRawBufferPointer(rebasing: block[index..<min(end, index + room)]))
                if newline == nil {
                    unfinished = line
                } else {
                    unfinished = nil
                    line.withUnsafeBytes { lost = Self.saturating(lost, examine($0)) }
                }
            } else if newline == nil {
                unfinished = Array(UnsafeRawBufferPointer(rebasing: block[index..<min(end, index + Self.longestNotice + 1)]))
            } else if end - index <= Self.longestNotice {
                lost = Self.saturating(lost, examine(UnsafeRawBufferPointer(rebasing: block[index..<end])))
            }
            index = end + 1
        }
        return lost
    }

    /// One whole line, without its newline.
    private mutating func examine(_ line: UnsafeRawBufferPointer) -> Int64 {
        // Value lines, nearly all of them, differ from both notices at their 11th byte,
        // and from the rate-limit tuple at their 30th ("rate-limit" against "entry"...).
        guard line.count > 29 else { return 0 }
        if line[10] == UInt8(ascii: "v") {
            if line[28] == UInt8(ascii: "r"), line[29] == UInt8(ascii: "a"),
                let count = Self.count(in: line, after: Self.rateLimitPrefix, suffix: Self.tupleSuffix)
            {
                rateLimitedEvents = count
            }
            return 0
        }
        guard line[10] == UInt8(ascii: "l") || line[10] == UInt8(ascii: "a") else { return 0 }
        if let count = Self.count(in: line, after: Self.lostPrefix) {
            eventsLost = Self.saturating(eventsLost, count)
            return count
        }
        if let count = Self.count(in: line, after: Self.attachedPrefix), count <= Int64(Int32.max) {
            probesAttached = Int(count)
        }
        return 0
    }

    public static func saturating(_ a: Int64, _ b: Int64) -> Int64 {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? .max : sum
    }

    /// The number in `prefix` N `}}`, exactly: 1 to 18 digits, no sign, no spaces.
    static func count(in line: UnsafeRawBufferPointer, after prefix: [UInt8], suffix: [UInt8] = suffix) -> Int64? {
        guard line.count > prefix.count + suffix.count, line.starts(with: prefix), line.suffix(suffix.count).elementsEqual(suffix) else {
            return nil
        }
        let digits = line[prefix.count..<(line.count - suffix.count)]
        guard (1...18).contains(digits.count), digits.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
        return digits.reduce(Int64(0)) { $0 * 10 + Int64($1 - 0x30) }
    }
}
