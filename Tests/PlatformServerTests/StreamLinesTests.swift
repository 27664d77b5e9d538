import EndpointTestSupport
import Foundation
import PlatformStore
import Testing

@testable import PlatformServer

/// How the export cuts a run's contiguous stream into lines (`StreamLines`, `LineSplitter`).
@Suite("OTLP export: a stream's lines, whole across chunks, each once")
struct StreamLinesTests {
    func lines(_ pieces: [String], maxLineBytes: Int = 1 << 20) -> (lines: [StreamLines.Line], open: String) {
        var splitter = LineSplitter(maxLineBytes: maxLineBytes)
        var lines: [StreamLines.Line] = []
        for piece in pieces { splitter.feed(Data(piece.utf8)) { lines.append($0) } }
        return (lines, String(decoding: splitter.open.bytes, as: UTF8.self))
    }

    @Test("Lines are cut at newlines across pieces; empty lines are skipped; the unfinished last line stays open")
    func splitting() {
        let (lines, open) = lines(["ab", "c\nd", "\n\n", "\ne"])
        #expect(lines == [.init(text: "abc", truncated: false), .init(text: "d", truncated: false)])
        #expect(open == "e")
    }

    @Test("A line longer than the bound keeps its first bytes and says it was cut; invalid UTF-8 is replaced")
    func truncationAndUTF8() {
        let (lines, _) = lines(["abcdefg\nxy", "\n"], maxLineBytes: 4)
        #expect(lines == [.init(text: "abcd", truncated: true), .init(text: "xy", truncated: false)])
        var splitter = LineSplitter(maxLineBytes: 16)
        var invalid: [StreamLines.Line] = []
        splitter.feed(Data([0x61, 0xFF, 0x62, 0x0A])) { invalid.append($0) }
        #expect(invalid == [.init(text: "a\u{FFFD}b", truncated: false)])
    }

    @Test("The chunks one /submit made contiguous give the lines ending in them, their start read back from earlier chunks")
    func readBack() async throws {
        let platform = try await TestPlatform()
        defer { Task { await platform.stop() } }
        let runs = platform.platform.runs
        var run = ""
        for (no, piece) in ["x\naa", "bb", "cc\ndd\nee", "\n"].enumerated() {
            let receipt = try await runs.receive(.chunk(trace: "/tmp/lines.trace", no: no, bytes: Data(piece.utf8)), from: TestPlatform.first.uuid)
            run = receipt.run.id
        }
        func lines(from: Int64, to: Int64) async throws -> [String] {
            var texts: [String] = []
            try await StreamLines(runs: runs).lines(of: run, from: from, to: to) { texts += $0.map(\.text) }
            return texts
        }
        #expect(try await lines(from: 0, to: 1) == ["x"])
        #expect(try await lines(from: 1, to: 2) == [])
        #expect(try await lines(from: 2, to: 3) == ["aabbcc", "dd"])
        #expect(try await lines(from: 3, to: 4) == ["ee"])
        #expect(try await lines(from: 1, to: 4) == ["aabbcc", "dd", "ee"])
    }
}
