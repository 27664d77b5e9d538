/// The build a run traced, from the stream's `["binary", path, buildId, sha256]` line
/// (written by the endpoint right after `ready`; docs/api.md "Programs").
public struct TracedBinary: Sendable, Equatable {
    public var path: String
    /// Lowercase hex as `readelf -n` prints it; nil when the binary has none.
    public var buildID: String?
    public var sha256: String?

    public init(path: String, buildID: String?, sha256: String?) {
        self.path = path
        self.buildID = buildID
        self.sha256 = sha256
    }
}
