/// The bodies PUT to `<platform-url>/submit` for one run, in this order:
/// one `start`, `chunk`s numbered from 0, one `finished`.
public enum SubmitMessage: Encodable, Equatable, Sendable {
    case start(trace: String)
    /// `field` is the base64 of exactly `submit-chunk-size` bytes (fewer for the last).
    case chunk(trace: String, no: Int, field: String)
    case finished(trace: String, stderr: String, code: Int32)

    enum CodingKeys: String, CodingKey {
        case trace, status, no, field, stderr, code
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .start(let trace):
            try container.encode(trace, forKey: .trace)
            try container.encode("start", forKey: .status)
        case let .chunk(trace, no, field):
            try container.encode(trace, forKey: .trace)
            try container.encode(no, forKey: .no)
            try container.encode(field, forKey: .field)
        case let .finished(trace, stderr, code):
            try container.encode(trace, forKey: .trace)
            try container.encode(stderr, forKey: .stderr)
            try container.encode(code, forKey: .code)
            try container.encode("finished", forKey: .status)
        }
    }
}
