import Foundation

/// Which build of a program a template probes: its ELF build-id (nil when it has none),
/// the SHA-256 of its bytes and its size. Recorded when a template is stored, checked
/// against a template's pins and recorded again at every start; each run's stream says
/// which binary it traced (`["binary", path, buildId, sha256]` after `ready`).
public struct BinaryIdentity: Codable, Equatable, Sendable {
    public var buildId: String?
    public var sha256: String
    public var size: Int64

    public init(buildId: String?, sha256: String, size: Int64) {
        self.buildId = buildId
        self.sha256 = sha256
        self.size = size
    }

    enum CodingKeys: String, CodingKey { case buildId, sha256, size }

    /// `buildId` is written as `null` when the binary has none: the key is always there.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(buildId, forKey: .buildId)
        try container.encode(sha256, forKey: .sha256)
        try container.encode(size, forKey: .size)
    }
}

/// What a template pins of its binary: a build-id, a SHA-256, or both.
public struct BinaryPin: Equatable, Sendable, CustomStringConvertible {
    public var buildId: String?
    public var sha256: String?

    public init?(_ template: TraceTemplate) {
        guard template.isPinned else { return nil }
        buildId = template.buildId
        sha256 = template.sha256
    }

    /// True when `identity` is the pinned build: every pinned value equal (a pinned
    /// build-id on a binary without one never is).
    public func matches(_ identity: BinaryIdentity) -> Bool {
        (buildId.map { $0 == identity.buildId } ?? true) && (sha256.map { $0 == identity.sha256 } ?? true)
    }

    public var description: String {
        [buildId.map { "buildId \($0)" }, sha256.map { "sha256 \($0)" }].compactMap { $0 }.joined(separator: " ")
    }
}
