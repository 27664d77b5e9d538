/// A configuration problem, worded as the single line an operator sees before the
/// daemon exits: the file, the key and what is wrong. It never carries a secret's value.
public struct ConfigError: Error, Equatable, CustomStringConvertible, Sendable {
    public let file: String
    public let key: String?
    public let problem: String

    public init(file: String, key: String?, problem: String) {
        self.file = file
        self.key = key
        self.problem = problem
    }

    public var description: String {
        if let key {
            return "\(file): key '\(key)': \(problem)"
        }
        return "\(file): \(problem)"
    }
}
