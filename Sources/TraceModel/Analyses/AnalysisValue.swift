/// A parameter's value once its rule accepted it: the only form in which request values
/// reach an analysis program (numbers within their bounds, one of an enumeration's
/// values, a flag, or a name that passed the template rules for names).
public enum AnalysisValue: Sendable, Equatable, Codable {
    case integer(Int)
    /// An enumeration's value or a checked name.
    case text(String)
    case boolean(Bool)

    /// As a run's record keeps it (`RunAnalysis`): the JSON value `encode` wrote.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let value = try? container.decode(Bool.self) {
            self = .boolean(value)
        } else if let value = try? container.decode(Int.self) {
            self = .integer(value)
        } else {
            self = .text(try container.decode(String.self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .integer(let value): try container.encode(value)
        case .text(let value): try container.encode(value)
        case .boolean(let value): try container.encode(value)
        }
    }
}
