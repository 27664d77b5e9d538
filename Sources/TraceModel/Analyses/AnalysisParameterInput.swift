/// One value of a start's `parameters` object as the request sent it: its JSON shape
/// only. Which shapes a parameter accepts, and the rules on top, are the parameter's
/// (`AnalysisParameter.validated(_:)`). Lists and objects are recognised without being
/// read: no parameter takes one, and a deeply nested one costs nothing here.
public enum AnalysisParameterInput: Codable, Sendable, Equatable {
    case null
    case boolean(Bool)
    case integer(Int64)
    /// A number that is not a whole number in Int64's range (`1.5`, `1e30`).
    case number(Double)
    case string(String)
    case list
    case object

    public init(from decoder: any Decoder) throws {
        if let container = try? decoder.singleValueContainer() {
            if container.decodeNil() {
                self = .null
                return
            }
            // Bool first: JSON's true is not a number, and a number is not a Bool.
            if let value = try? container.decode(Bool.self) {
                self = .boolean(value)
                return
            }
            if let value = try? container.decode(Int64.self) {
                self = .integer(value)
                return
            }
            if let value = try? container.decode(Double.self) {
                self = .number(value)
                return
            }
            if let value = try? container.decode(String.self) {
                self = .string(value)
                return
            }
        }
        self = (try? decoder.unkeyedContainer()) != nil ? .list : .object
    }

    /// Back to JSON, for a run's relaunch (`RelaunchableStart`). A list or an object is
    /// never kept (no parameter takes one, so such a start was refused): it fails the
    /// encoding rather than stand for a value it is not.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .boolean(let value): try container.encode(value)
        case .integer(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .list, .object:
            throw EncodingError.invalidValue(shapeForMessages, .init(codingPath: encoder.codingPath, debugDescription: "not kept"))
        }
    }

    /// What a refusal says the request sent instead (`expected ..., got a string`).
    var shapeForMessages: String {
        switch self {
        case .null: "null"
        case .boolean: "true or false"
        case .integer, .number: "a number"
        case .string: "a string"
        case .list: "a list"
        case .object: "an object"
        }
    }
}
