/// One OTLP log record as the platform sends it: a stream line or an event, with the
/// endpoint it came from (its resource) and its own attributes.
public struct OTLPLogRecord: Sendable, Equatable {
    /// An attribute's value: OTLP's `AnyValue`, in the two kinds the platform writes.
    public enum Value: Sendable, Equatable {
        case string(String)
        case bool(Bool)
    }

    /// The endpoint's uuid (`lambda.endpoint`) and hostname (`host.name`, when known).
    public var endpoint: String
    public var hostname: String?
    /// Nanoseconds since the epoch: when it happened (a line: when its chunk was
    /// committed; an event: its own time), and when the platform received it.
    public var timeUnixNano: UInt64
    public var observedTimeUnixNano: UInt64
    public var body: String
    public var attributes: [(key: String, value: Value)]

    public init(
        endpoint: String,
        hostname: String?,
        timeUnixNano: UInt64,
        observedTimeUnixNano: UInt64,
        body: String,
        attributes: [(key: String, value: Value)]
    ) {
        self.endpoint = endpoint
        self.hostname = hostname
        self.timeUnixNano = timeUnixNano
        self.observedTimeUnixNano = observedTimeUnixNano
        self.body = body
        self.attributes = attributes
    }

    /// What it holds in memory, roughly: its texts and a fixed overhead (the queue's
    /// byte bound counts this).
    var size: Int {
        128 + endpoint.utf8.count + (hostname?.utf8.count ?? 0) + body.utf8.count
            + attributes.reduce(0) { total, attribute in
                if case .string(let text) = attribute.value { return total + 32 + attribute.key.utf8.count + text.utf8.count }
                return total + 32 + attribute.key.utf8.count
            }
    }

    public static func == (left: OTLPLogRecord, right: OTLPLogRecord) -> Bool {
        left.endpoint == right.endpoint && left.hostname == right.hostname && left.timeUnixNano == right.timeUnixNano
            && left.observedTimeUnixNano == right.observedTimeUnixNano && left.body == right.body
            && left.attributes.map(\.key) == right.attributes.map(\.key) && left.attributes.map(\.value) == right.attributes.map(\.value)
    }
}
