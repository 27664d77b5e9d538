/// The body of `POST /trace/start`: `{"traceT": "BPF"|"STAP", "traceId": N, "lasting": SECONDS}`,
/// and optionally `"target"` (`TargetRequest`; absent or null: the host, as before).
/// Decoding checks the shape; `checked(maxLastingSeconds:)` the values that need no
/// database (which template `traceId` names is the controller's to look up).
public struct StartRequest: Decodable, Sendable {
    public let traceT: String
    public let traceId: Int64
    public let lasting: Int64
    public let target: TargetObject?

    /// What a start request asks for once its values passed their rules.
    public struct Checked: Equatable, Sendable {
        public let tracer: TracerType
        public let templateId: Int64
        public let lastingSeconds: Int
        public let target: TargetRequest?

        public init(tracer: TracerType, templateId: Int64, lastingSeconds: Int, target: TargetRequest? = nil) {
            self.tracer = tracer
            self.templateId = templateId
            self.lastingSeconds = lastingSeconds
            self.target = target
        }
    }

    enum CodingKeys: String, CodingKey { case traceT, traceId, lasting, target }

    public init(traceT: String, traceId: Int64, lasting: Int64, target: TargetObject? = nil) {
        self.traceT = traceT
        self.traceId = traceId
        self.lasting = lasting
        self.target = target
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.traceT = try container.decode(String.self, forKey: .traceT)
        self.traceId = try container.decodeWholeNumber(forKey: .traceId)
        self.lasting = try container.decodeWholeNumber(forKey: .lasting)
        self.target = try container.decodeIfPresent(TargetObject.self, forKey: .target)
    }

    /// `traceT` must name a tracer, `lasting` be 1...`maxLastingSeconds` seconds and a
    /// `target` one of its shapes (`TargetRequest`).
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
        var target: TargetRequest?
        if let object = self.target {
            do throws(FieldError) {
                target = try TargetRequest(checking: object)
            } catch {
                throw .invalidField(error)
            }
        }
        return Checked(tracer: tracer, templateId: traceId, lastingSeconds: lastingSeconds, target: target)
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
