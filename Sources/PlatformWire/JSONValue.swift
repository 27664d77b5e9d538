import Foundation

/// Any JSON value, kept as it came: a task's `body` (passed on to the route it names) and
/// a route's answer in a task's result. Whole numbers stay whole (`Int64`); others are
/// `Double`.
public indirect enum JSONValue: Codable, Sendable, Equatable {
    case null
    case boolean(Bool)
    case integer(Int64)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .boolean(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .integer(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .boolean(let value): try container.encode(value)
        case .integer(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    /// An object's member; nil for anything else.
    public subscript(key: String) -> JSONValue? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    /// The value as a whole number, when it is one (`3`, or `3.0` as another encoder
    /// may write it).
    public var wholeNumber: Int? {
        switch self {
        case .integer(let value): Int(exactly: value)
        case .number(let value): value == value.rounded() && abs(value) < 1e15 ? Int(value) : nil
        default: nil
        }
    }

    public var text: String? {
        if case .string(let value) = self { return value }
        return nil
    }
}
