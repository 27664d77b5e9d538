/// A request value that breaks a rule. `message` names the field and why, the way every
/// 400 answer of the API reads (`functions[1]: 'a b' is not a symbol name ...`).
public struct FieldError: Error, Equatable, Sendable, CustomStringConvertible {
    public let field: String
    public let reason: String

    public init(field: String, reason: String) {
        self.field = field
        self.reason = reason
    }

    public var message: String { "\(field): \(reason)" }
    public var description: String { message }
}
