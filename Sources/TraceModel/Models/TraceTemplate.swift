/// What the platform stores on an endpoint: a program, the functions to probe in it,
/// and how a tracer may be run over it.
///
/// Wire form: `{"process", "functions", "environment", "value", "options", "traceType"}`,
/// and optionally `buildId` or `sha256`, pinning the build of `process` a start may trace
/// (a start on another build is refused; absent, the keys are not written).
/// The seed README spells `functions` as `funtions`; both are accepted on input and
/// `functions` is always written. Missing `environment`, `value` or `options` mean [].
/// Values are taken as given here; `TemplateValidator` decides whether they may be stored.
public struct TraceTemplate: Codable, Equatable, Sendable {
    public var process: String
    public var functions: [String]
    public var environment: [String]
    public var value: [String]
    public var options: [String]
    /// Tracer names as given; `TemplateValidator` only lets `BPF` and `STAP` through.
    public var traceType: [String]
    /// The ELF build-id (lowercase hex) `process` must have for a start to go ahead.
    public var buildId: String?
    /// The SHA-256 (lowercase hex) `process` must have for a start to go ahead.
    public var sha256: String?

    public init(
        process: String,
        functions: [String],
        environment: [String] = [],
        value: [String] = [],
        options: [String] = [],
        traceType: [String],
        buildId: String? = nil,
        sha256: String? = nil
    ) {
        self.process = process
        self.functions = functions
        self.environment = environment
        self.value = value
        self.options = options
        self.traceType = traceType
        self.buildId = buildId
        self.sha256 = sha256
    }

    /// True when a start must check the binary against a pin.
    public var isPinned: Bool { buildId != nil || sha256 != nil }

    /// The tracer types of a validated template.
    public var tracerTypes: [TracerType] { traceType.compactMap(TracerType.init(rawValue:)) }

    enum CodingKeys: String, CodingKey {
        case process, functions, funtions, environment, value, options, traceType, buildId, sha256
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.process = try container.decode(String.self, forKey: .process)
        let spelled = try container.decodeIfPresent([String].self, forKey: .functions)
        let misspelled = try container.decodeIfPresent([String].self, forKey: .funtions)
        switch (spelled, misspelled) {
        case let (spelled?, misspelled?) where spelled != misspelled:
            throw DecodingError.dataCorruptedError(
                forKey: .functions,
                in: container,
                debugDescription: "'functions' and 'funtions' are both given and differ; send one of them"
            )
        case let (list?, _), let (nil, list?):
            self.functions = list
        case (nil, nil):
            throw DecodingError.keyNotFound(
                CodingKeys.functions,
                .init(codingPath: container.codingPath, debugDescription: "missing")
            )
        }
        self.environment = try container.decodeIfPresent([String].self, forKey: .environment) ?? []
        self.value = try container.decodeIfPresent([String].self, forKey: .value) ?? []
        self.options = try container.decodeIfPresent([String].self, forKey: .options) ?? []
        self.traceType = try container.decode([String].self, forKey: .traceType)
        self.buildId = try container.decodeIfPresent(String.self, forKey: .buildId)
        self.sha256 = try container.decodeIfPresent(String.self, forKey: .sha256)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(process, forKey: .process)
        try container.encode(functions, forKey: .functions)
        try container.encode(environment, forKey: .environment)
        try container.encode(value, forKey: .value)
        try container.encode(options, forKey: .options)
        try container.encode(traceType, forKey: .traceType)
        try container.encodeIfPresent(buildId, forKey: .buildId)
        try container.encodeIfPresent(sha256, forKey: .sha256)
    }
}

/// A template as stored, with the id the platform refers to it by (`traceNo` in
/// `GET /traces`, `traceId` in a start, `removeId` in a remove).
public struct StoredTemplate: Codable, Equatable, Sendable {
    public var templateId: Int64
    public var info: TraceTemplate
    /// `process` as it was when the template was stored (nil for templates stored before
    /// the endpoint recorded it).
    public var binary: BinaryIdentity?

    enum CodingKeys: String, CodingKey {
        case templateId = "traceNo"
        case info, binary
    }

    public init(templateId: Int64, info: TraceTemplate, binary: BinaryIdentity? = nil) {
        self.templateId = templateId
        self.info = info
        self.binary = binary
    }
}
