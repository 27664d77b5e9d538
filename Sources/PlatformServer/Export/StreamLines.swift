import Foundation
import PlatformStore

/// The complete lines of a run's stream that end in chunks `from..<to` of its contiguous
/// prefix (what one `/submit` made contiguous), read back from the store: a line begun in
/// earlier chunks is taken whole (its start read from them), and a line still open at the
/// end of chunk `to - 1` is left to whoever makes the next chunk contiguous. So each line
/// is exported once, by the instance whose `/submit` made the chunk ending it contiguous,
/// whichever instances received the chunks before.
struct StreamLines {
    /// A line longer than this is cut to it (with `truncated`): bpftrace prints a whole map
    /// as one line, and a record's body is held in memory and sent in one request.
    static let maxLineBytes = 1 << 20
    /// Chunks read at once (a chunk is at most 16 MiB; 51200 bytes by default).
    static let chunksPerRead = 4

    struct Line: Equatable {
        var text: String
        var truncated: Bool
    }

    let runs: RunStore

    /// Calls `deliver` with the lines, a few chunks' worth at a time (memory stays bounded
    /// however far the prefix advanced).
    func lines(of run: String, from: Int64, to: Int64, deliver: ([Line]) -> Void) async throws {
        var splitter = LineSplitter(maxLineBytes: Self.maxLineBytes)
        splitter.open = try await openLine(of: run, before: from)
        var next = from
        while next < to {
            let chunks = try await runs.chunks(of: run, from: next, upTo: to, maxChunks: Self.chunksPerRead)
            guard !chunks.isEmpty else { break }  // removed meanwhile (retention)
            next += Int64(chunks.count)
            var lines: [Line] = []
            for chunk in chunks { splitter.feed(chunk) { lines.append($0) } }
            if !lines.isEmpty { deliver(lines) }
        }
    }

    /// The bytes after the last newline before chunk `no` (the start of the line that
    /// chunk continues), reading back one chunk at a time, at most `maxLineBytes` of them.
    func openLine(of run: String, before no: Int64) async throws -> LineSplitter.OpenLine {
        // Pieces newest first; each a copy starting at index 0 (a slice of a slice of Data
        // joined with `+` crashed in Foundation's append).
        var pieces: [[UInt8]] = []
        var count = 0
        var index = no - 1
        var reachedStart = false
        while index >= 0 && count <= Self.maxLineBytes {
            guard let chunk = try await runs.chunks(of: run, from: index, upTo: index + 1, maxChunks: 1).first else { break }
            let bytes = [UInt8](chunk)
            if let newline = bytes.lastIndex(of: 0x0A) {
                pieces.append(Array(bytes[(newline + 1)...]))
                count += bytes.count - newline - 1
                reachedStart = true
                break
            }
            pieces.append(bytes)
            count += bytes.count
            index -= 1
        }
        let line = Array(pieces.reversed().joined())
        return LineSplitter.OpenLine(
            bytes: Data(line.prefix(Self.maxLineBytes)),
            truncated: line.count > Self.maxLineBytes || (!reachedStart && index >= 0)
        )
    }
}

/// Splits bytes into lines at `\n` across calls, keeping the open line's first
/// `maxLineBytes`. Empty lines (bpftrace prints some at exit) are skipped: they say nothing.
struct LineSplitter {
    struct OpenLine {
        var bytes = Data()
        var truncated = false
    }

    let maxLineBytes: Int
    var open = OpenLine()

    init(maxLineBytes: Int) {
        self.maxLineBytes = maxLineBytes
    }

    mutating func feed(_ data: Data, emit: (StreamLines.Line) -> Void) {
        let bytes = [UInt8](data)
        var start = 0
        while start < bytes.count {
            let newline = bytes[start...].firstIndex(of: 0x0A)
            append(bytes[start..<(newline ?? bytes.count)])
            guard let newline else { return }
            if !open.bytes.isEmpty || open.truncated {
                // Invalid UTF-8 is replaced (U+FFFD): an OTLP string must be UTF-8.
                emit(StreamLines.Line(text: String(decoding: open.bytes, as: UTF8.self), truncated: open.truncated))
            }
            open = OpenLine()
            start = newline + 1
        }
    }

    private mutating func append(_ piece: ArraySlice<UInt8>) {
        let room = maxLineBytes - open.bytes.count
        if piece.count > room {
            open.bytes.append(contentsOf: piece.prefix(room))
            open.truncated = true
        } else {
            open.bytes.append(contentsOf: piece)
        }
    }
}
