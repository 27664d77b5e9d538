import Foundation
import PlatformStore
import PlatformWire
import Testing

@Suite("The resumed tuples found in a stream as it is committed")
struct ResumeGapScannerTests {
    let endpoint = "0b5c8a52-3f6e-4c61-9d3e-6f1a2b3c4d5e"
    let stream = Data(
        """
        {"type": "value", "data": ["ready",1000]}
        {"type": "value", "data": [1]}
        {"type": "value", "data": ["resumed",1700000000000000000,1700000005000000000]}
        {"type": "value", "data": ["ready",2000]}
        {"type": "printf", "data": "resumed"}
        {"type": "value", "data": ["resumed",1700000009000000000,1700000010000000000]}

        """.utf8
    )
    let expected = [
        ResumeGapScanner.Gap(stoppedAtNs: 1_700_000_000_000_000_000, resumedAtNs: 1_700_000_005_000_000_000),
        ResumeGapScanner.Gap(stoppedAtNs: 1_700_000_009_000_000_000, resumedAtNs: 1_700_000_010_000_000_000),
    ]

    @Test("Split into two chunks at every byte, the same two gaps are found and nothing else")
    func everySplit() {
        for split in 0...stream.count {
            var tail = Data()
            let gaps = ResumeGapScanner.scan(stream.prefix(split), tail: &tail) + ResumeGapScanner.scan(stream.dropFirst(split), tail: &tail)
            #expect(gaps == expected, "split at \(split)")
            #expect(tail.isEmpty)
        }
    }

    @Test("A line longer than 256 bytes is skipped to its end, and the tail it leaves never grows past 257 bytes")
    func overlongLine() {
        var tail = Data()
        let long = Data(#"{"type": "value", "data": ["resumed",1,2], "pad": ""#.utf8) + Data(repeating: UInt8(ascii: "x"), count: 10_000)
        for piece in stride(from: 0, to: long.count, by: 1000) {
            #expect(ResumeGapScanner.scan(long[piece..<min(piece + 1000, long.count)], tail: &tail).isEmpty)
            #expect(tail.count <= ResumeGapScanner.maxLineBytes + 1)
        }
        let rest = Data("\"}\n{\"type\": \"value\", \"data\": [\"resumed\",3,4]}\n".utf8)
        #expect(ResumeGapScanner.scan(rest, tail: &tail) == [.init(stoppedAtNs: 3, resumedAtNs: 4)])
    }

    @Test("RunStore keeps the gaps of chunks committed out of order, the tuple crossing the chunks; GET shows them as tuples")
    func runStoreGaps() async throws {
        let temporary = try await TemporaryDatabase()
        defer { Task { await temporary.remove() } }
        let store = RunStore(database: temporary.database)
        let pieces = stride(from: 0, to: stream.count, by: 37).map { stream[$0..<min($0 + 37, stream.count)] }
        // The last chunks first (held ahead of the gap), then the rest in order.
        for no in [pieces.count - 1, pieces.count - 2] + Array(0..<(pieces.count - 2)) {
            _ = try await store.receive(.chunk(trace: "/tmp/g.trace", no: no, bytes: Data(pieces[no])), from: endpoint)
        }
        let run = try #require(try await store.run(endpoint: endpoint, filePath: "/tmp/g.trace"))
        #expect(run.bytes == Int64(stream.count) && run.chunks == Int64(pieces.count))
        #expect(ResumeGapScanner.gaps(fromJSON: run.gaps) == expected)
        #expect(run.gaps == "[[\"resumed\",1700000000000000000,1700000005000000000],[\"resumed\",1700000009000000000,1700000010000000000]]")
    }
}
