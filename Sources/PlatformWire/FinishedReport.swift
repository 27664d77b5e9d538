/// The `finished` message's `code` and `stderr`.
public struct FinishedReport: Sendable, Equatable {
    public var code: Int32
    public var stderr: String

    public init(code: Int32, stderr: String) {
        self.code = code
        self.stderr = stderr
    }
}
