/// One element of `GET /analyses`, as the API spells it: `{"name", "description",
/// "tracer", "parameters": [...], "output", "available", "unavailable"}` plus `requires`
/// (what availability was checked against). `unavailable` is present only when
/// `available` is false; a parameter's `default` always, `null` when it has none
/// (`required` true), `minimum`/`maximum` only for integers, `values` only for enums.
public struct AnalysisListing: Encodable, Sendable, Equatable {
    public let name: String
    public let description: String
    public let tracer: String
    public let parameters: [Parameter]
    public let output: String
    public let requires: Requires
    public let available: Bool
    public let unavailable: String?

    public struct Parameter: Encodable, Sendable, Equatable {
        public let name: String
        public let type: String
        public let required: Bool
        public let `default`: AnalysisValue?
        public let minimum: Int?
        public let maximum: Int?
        public let values: [String]?
        public let description: String

        init(_ parameter: AnalysisParameter) {
            name = parameter.name
            type = parameter.typeName
            required = parameter.isRequired
            `default` = parameter.defaultValue
            description = parameter.description
            switch parameter.kind {
            case .integer(_, let range):
                (minimum, maximum, values) = (range.lowerBound, range.upperBound, nil)
            case .enumeration(_, let choices):
                (minimum, maximum, values) = (nil, nil, choices)
            case .boolean, .string:
                (minimum, maximum, values) = (nil, nil, nil)
            }
        }

        enum CodingKeys: String, CodingKey { case name, type, required, `default`, minimum, maximum, values, description }

        /// Written by hand for `default`: the synthesized encoding leaves a nil optional out,
        /// and the documented shape (docs/openapi.yaml) gives every parameter the key.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(name, forKey: .name)
            try container.encode(type, forKey: .type)
            try container.encode(required, forKey: .required)
            try container.encode(`default`, forKey: .default)
            try container.encodeIfPresent(minimum, forKey: .minimum)
            try container.encodeIfPresent(maximum, forKey: .maximum)
            try container.encodeIfPresent(values, forKey: .values)
            try container.encode(description, forKey: .description)
        }
    }

    public struct Requires: Encodable, Sendable, Equatable {
        public let tracepoints: [String]
        public let perfEvents: Bool
        public let uprobes: Bool
        public let kprobes: Bool
        public let kernelBTF: Bool

        init(_ requirements: AnalysisRequirements) {
            tracepoints = requirements.tracepoints.map(\.description)
            perfEvents = requirements.perfEventSampling
            uprobes = requirements.uprobes
            kprobes = requirements.kprobes
            kernelBTF = requirements.kernelBTF
        }
    }

    public init(_ analysis: Analysis, availability: AnalysisAvailability) {
        name = analysis.name
        description = analysis.description
        tracer = analysis.tracer.rawValue
        parameters = analysis.parameters.map(Parameter.init)
        output = analysis.output
        requires = Requires(analysis.requirements)
        available = availability.isAvailable
        unavailable = availability.unavailableReason
    }

}
