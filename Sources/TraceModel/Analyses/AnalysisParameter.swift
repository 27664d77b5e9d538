/// One parameter an analysis takes: its name in a start's `parameters`, its type with
/// its default and bounds, and what it changes. `validated(_:)` is its rule: a pure
/// function from the request's value (or its absence) to an `AnalysisValue`, or a
/// `FieldError` naming `parameters.<name>`.
public struct AnalysisParameter: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// A whole number within `range`.
        case integer(default: Int, range: ClosedRange<Int>)
        /// One of `values` (in the catalogue's words: type `enum`).
        case enumeration(default: String, values: [String])
        case boolean(default: Bool)
        /// A name checked by `rule`; required: there is no sensible default binary or function.
        case string(StringRule)
    }

    /// What a string parameter names, checked exactly as a template's field of that kind.
    public enum StringRule: Sendable, Equatable {
        /// As a template's `process` (`TemplateValidator.checkProcessPath`; the file itself
        /// is checked when the run starts, `ValidatedAnalysis.inspectBinary()`).
        case processPath
        /// As each of a template's `functions` (`TemplateValidator.checkFunctionName`).
        case functionName
    }

    public let name: String
    public let kind: Kind
    public let description: String

    public init(name: String, kind: Kind, description: String) {
        self.name = name
        self.kind = kind
        self.description = description
    }

    /// `integer`, `string`, `enum` or `boolean`, as `GET /analyses` names the type.
    public var typeName: String {
        switch kind {
        case .integer: "integer"
        case .enumeration: "enum"
        case .boolean: "boolean"
        case .string: "string"
        }
    }

    /// The value an absent (or `null`) parameter takes; nil when the parameter is required.
    public var defaultValue: AnalysisValue? {
        switch kind {
        case .integer(let value, _): .integer(value)
        case .enumeration(let value, _): .text(value)
        case .boolean(let value): .boolean(value)
        case .string: nil
        }
    }

    public var isRequired: Bool { defaultValue == nil }

    /// How refusals name this parameter: `parameters.interval`.
    public var field: String { "parameters.\(name)" }

    /// The request's value for this parameter (nil: absent), checked. `null` is taken as
    /// absent, as for a template's lists.
    public func validated(_ input: AnalysisParameterInput?) throws(FieldError) -> AnalysisValue {
        guard let input, input != .null else {
            guard let defaultValue else { throw FieldError(field: field, reason: "is required") }
            return defaultValue
        }
        switch kind {
        case .integer(_, let range):
            guard case .integer(let number) = input else {
                throw FieldError(
                    field: field,
                    reason: "expected a whole number from \(range.lowerBound) to \(range.upperBound), got \(input.shapeForMessages)"
                )
            }
            guard number >= Int64(range.lowerBound), number <= Int64(range.upperBound) else {
                throw FieldError(field: field, reason: "must be from \(range.lowerBound) to \(range.upperBound), got \(number)")
            }
            return .integer(Int(number))
        case .enumeration(_, let values):
            guard case .string(let text) = input else {
                throw FieldError(field: field, reason: "expected one of \(values.joined(separator: ", ")), got \(input.shapeForMessages)")
            }
            guard values.contains(text) else {
                throw FieldError(field: field, reason: "\(quoted(text)) is not one of \(values.joined(separator: ", "))")
            }
            return .text(text)
        case .boolean:
            guard case .boolean(let flag) = input else {
                throw FieldError(field: field, reason: "expected true or false, got \(input.shapeForMessages)")
            }
            return .boolean(flag)
        case .string(let rule):
            guard case .string(let text) = input else {
                throw FieldError(field: field, reason: "expected a string, got \(input.shapeForMessages)")
            }
            switch rule {
            case .processPath: try TemplateValidator.checkProcessPath(text, field: field)
            case .functionName: try TemplateValidator.checkFunctionName(text, field: field)
            }
            return .text(text)
        }
    }
}

extension AnalysisParameter {
    /// Seconds between two prints of an analysis's maps (they are cleared after each).
    public static let interval = AnalysisParameter(
        name: "interval",
        kind: .integer(default: 5, range: 1...3600),
        description: "Seconds between two prints of the maps; each print clears them, so a map holds one interval."
    )

    /// How many of a map's entries each print shows, the largest values first.
    public static func top(_ entries: String) -> AnalysisParameter {
        AnalysisParameter(
            name: "top",
            kind: .integer(default: 0, range: 0...100_000),
            description: "Print only the \(entries) with the largest values; 0 prints all."
        )
    }

    /// Whether stacks keep their user part. bpftrace symbolises user stacks when it prints
    /// them, reading each process's binaries and libraries anew: measured here, a print
    /// holding the stacks of 70 short-lived processes took 5 s (about 70 ms a process),
    /// holding the program's later output and its exit back as long.
    public static let userStacks = AnalysisParameter(
        name: "user-stacks",
        kind: .boolean(default: true),
        description: "Include user stacks; false leaves them empty (no symbol lookups, which cost bpftrace ~70 ms a process at each print)."
    )
}
