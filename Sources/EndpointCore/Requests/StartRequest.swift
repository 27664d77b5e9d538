/// The body of `POST /trace/start`: `{"traceT": "BPF"|"STAP", "traceId": N, "lasting": SECONDS}`.
/// Decoding checks the shape; `checked(maxLastingSeconds:)` the values that need no
/// database (which template `traceId` names is the controller's to look up).
public struct StartRequest: Decodable, Sendable {
    public let traceT: String
    public let traceId: Int64
    public let lasting: Int64

    /// What a start request asks for once its values passed their rules.
    public struct Checked: Equatable, Sendable {
        public let tracer: TracerType
        public let templateId: Int64
        public let lastingSeconds: Int
    }

    enum CodingKeys: String, CodingKey { case traceT, traceId, lasting }

    public init(traceT: String, traceId: Int64, lasting: Int64) {
        self.traceT = traceT
        self.traceId = traceId
        self.lasting = lasting
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.traceT = try container.decode(String.self, forKey: .traceT)
        self.traceId = try container.decodeWholeNumber(forKey: .traceId)
        self.lasting = try container.decodeWholeNumber(forKey: .lasting)
    }

    /// `traceT` must name a tracer and `lasting` be 1...`maxLastingSeconds` seconds.
    public func checked(maxLastingSeconds: Int) throws(StartRefusal) -> Checked {
        let tracer: TracerType
        do throws(FieldError) {
            tracer = try TracerType.named(traceT, field: "traceT")
        } catch {
            throw .invalidField(error)
        }
        let lastingSeconds: Int
        do throws(FieldError) {
            lastingSeconds = try Self.checkedLasting(lasting, maxLastingSeconds: maxLastingSeconds)
        } catch {
            throw .invalidField(error)
        }
        return Checked(tracer: tracer, templateId: traceId, lastingSeconds: lastingSeconds)
    }

    /// The rule of `lasting` in every start (of a template or an analysis): a whole number
    /// of seconds from 1 to `maxLastingSeconds`.
    public static func checkedLasting(_ lasting: Int64, maxLastingSeconds: Int) throws(FieldError) -> Int {
        guard (1...Int64(maxLastingSeconds)).contains(lasting) else {
            throw FieldError(field: "lasting", reason: "must be a whole number of seconds from 1 to \(maxLastingSeconds), got \(lasting)")
        }
        return Int(lasting)
    }
}
