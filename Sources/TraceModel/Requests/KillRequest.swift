/// The body of `POST /trace/kill`: `{"killPath": "<filePath>"}`. Any string is accepted:
/// an unknown path is ignored (and still answered `Killed`), as the original did.
public struct KillRequest: Decodable, Sendable {
    public let killPath: String

    public init(killPath: String) {
        self.killPath = killPath
    }
}
