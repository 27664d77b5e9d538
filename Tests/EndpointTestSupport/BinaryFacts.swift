import Foundation

/// A binary's build-id, SHA-256 and size as the system's own tools tell them
/// (`readelf -n`, `sha256sum`, `stat`): what the endpoint's own reading must agree with.
public struct BinaryFacts: Sendable, Equatable {
    public let buildId: String?
    public let sha256: String
    public let size: Int64

    public init(of path: String) throws {
        let notes = try runCommand("/usr/bin/readelf", ["-n", path]).output
        buildId =
            notes.split(separator: "\n").first { $0.contains("Build ID:") }
            .map { $0.split(separator: ":").last!.trimmingCharacters(in: .whitespaces) }
        let digest = try runCommand("/usr/bin/sha256sum", [path]).output
        sha256 = String(digest.prefix(64))
        size = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.int64Value ?? -1
    }

    /// As `GET /traces` writes it beside `info` (keys sorted, as the tests' encoder sorts them).
    public var json: String {
        #"{"buildId":\#(buildId.map { "\"\($0)\"" } ?? "null"),"sha256":"\#(sha256)","size":\#(size)}"#
    }

    public static let bash = try! BinaryFacts(of: "/bin/bash")
}
