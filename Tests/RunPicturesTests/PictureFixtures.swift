import Foundation
import RunPictures

/// Real bpftrace 0.17 output in `Tests/Fixtures/pictures` (how each was made:
/// Tests/Fixtures/pictures/README.md), scanned as a run's stream.
enum PictureFixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/pictures")

    static func bytes(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: directory.appendingPathComponent(name)))
    }

    /// The fixture fed to a scanner in pieces of `piece` bytes (lines cut anywhere).
    static func scan(_ name: String, piece: Int = 7, limits: RunStreamScanner.Limits = .init()) throws -> RunStreamScanner {
        try scan(bytes: bytes(name), piece: piece, limits: limits)
    }

    static func scan(bytes: [UInt8], piece: Int = 7, limits: RunStreamScanner.Limits = .init()) -> RunStreamScanner {
        var scanner = RunStreamScanner(limits: limits)
        for start in stride(from: 0, to: bytes.count, by: piece) { scanner.consume(bytes[start..<min(start + piece, bytes.count)]) }
        scanner.finish()
        return scanner
    }

    /// A folded text's lines as (stack, count), and the sum of the counts.
    static func sum(ofFolded text: String) -> Int64 {
        text.split(separator: "\n").reduce(0) { $0 + (Int64($1.split(separator: " ").last ?? "") ?? -1_000_000) }
    }
}
