import Foundation
import Testing

@testable import Runs

@Suite("Where the ready line ends: the place of a targeted run's target lines")
struct ReadyLineEndTests {
    static let attached = #"{"type": "attached_probes", "data": {"probes": 4}}"# + "\n"
    static let ready = #"{"type": "value", "data": ["ready",123456]}"# + "\n"

    func cuts(_ blocks: [String]) -> [Int?] {
        var scan = ReadyLineEnd()
        return blocks.map { block in Array(block.utf8).withUnsafeBytes { scan.scan($0) } }
    }

    @Test("In one block, after the ready line's newline; once only")
    func oneBlock() {
        let block = Self.attached + Self.ready + #"{"type": "value", "data": ["entry"]}"# + "\n"
        #expect(cuts([block, Self.ready]) == [Self.attached.utf8.count + Self.ready.utf8.count, nil])
    }

    @Test("A ready line split across blocks, anywhere, even in its marker")
    func splitAcrossBlocks() {
        let text = Self.attached + Self.ready + "rest"
        for split in 1..<(text.utf8.count - 1) {
            let bytes = Array(text.utf8)
            let first = String(decoding: bytes[..<split], as: UTF8.self)
            let second = String(decoding: bytes[split...], as: UTF8.self)
            let end = Self.attached.utf8.count + Self.ready.utf8.count
            let expected: [Int?] = split >= end ? [end, nil] : [nil, end - split]
            #expect(cuts([first, second]) == expected, "split at \(split)")
        }
    }

    @Test("A line merely holding the marker later is not the ready line; no ready line, no cut")
    func notReady() {
        #expect(cuts(["x" + Self.ready, "no newline yet"]) == [nil, nil])
    }
}
