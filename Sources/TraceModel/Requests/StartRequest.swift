/// The body of `POST /trace/start`: `{"traceT": "BPF"|"STAP", "traceId": N, "lasting": SECONDS}`,
/// and optionally `"target"` (`TargetRequest`; absent or null: the host, as before) and
/// `"maxEventsPerSecond"` (a lower event-rate bound than the setting's; absent or null:
/// the setting's), and `"resume"` (false: the run ends if the endpoint stops, as before
/// runs outlived a restart; absent or null: true). Decoding checks the shape; `checked`
/// the values that need no database (which template `traceId` names is the
/// controller's to look up). Encodable: a run keeps the start it came from, to relaunch
/// it after a restart (`RelaunchableStart`).
public struct StartRequest: Codable, Sendable, Equatable {
    public let traceT: String
    public let traceId: Int64
    public let lasting: Int64
    public let target: TargetObject?
    public let maxEventsPerSecond: Int64?
    public let resume: Bool?

    /// What a start request asks for once its values passed their rules.
    public struct Checked: Equatable, Sendable {
        public let tracer: TracerType
        public let templateId: Int64
        public let lastingSeconds: Int
        public let target: TargetRequest?
        /// The run's event-rate bound: the asked one, else the setting's.
        public let maxEventsPerSecond: Int

        public init(tracer: TracerType, templateId: Int64, lastingSeconds: Int, target: TargetRequest? = nil, maxEventsPerSecond: Int) {
            self.tracer = tracer
            self.templateId = templateId
            self.lastingSeconds = lastingSeconds
            self.target = target
            self.maxEventsPerSecond = maxEventsPerSecond
        }
    }

    enum CodingKeys: String, CodingKey { case traceT, traceId, lasting, target, maxEventsPerSecond, resume }

    public init(
        traceT: String,
        traceId: Int64,
        lasting: Int64,
        target: TargetObject? = nil,
        maxEventsPerSecond: Int64? = nil,
        resume: Bool? = nil
    ) {
        self.traceT = traceT
        self.traceId = traceId
        self.lasting = lasting
        self.target = target
        self.maxEventsPerSecond = maxEventsPerSecond
        self.resume = resume
    }

    /// The same start for `lasting` seconds: what a relaunch asks for the time left.
    public func lasting(_ seconds: Int64) -> StartRequest {
        StartRequest(traceT: traceT, traceId: traceId, lasting: seconds, target: target, maxEventsPerSecond: maxEventsPerSecond, resume: resume)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.traceT = try container.decode(String.self, forKey: .traceT)
        self.traceId = try container.decodeWholeNumber(forKey: .traceId)
        self.lasting = try container.decodeWholeNumber(forKey: .lasting)
        self.target = try container.decodeIfPresent(TargetObject.self, forKey: .target)
        self.maxEventsPerSecond = try container.decodeWholeNumberIfPresent(forKey: .maxEventsPerSecond)
        self.resume = try container.decodeIfPresent(Bool.self, forKey: .resume)
    }

    /// `traceT` must name a tracer, `lasting` be 1...`maxLastingSeconds` seconds, a
    /// `target` one of its shapes (`TargetRequest`) and `maxEventsPerSecond` 1 to the
    /// setting's (a start may ask for less, never more).
    public func checked(maxLastingSeconds: Int, maxEventsPerSecond: Int) throws(StartRefusal) -> Checked {
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
        let eventsPerSecond: Int
        do throws(FieldError) {
            target = try self.target.map(TargetRequest.init(checking:))
            eventsPerSecond = try Self.checkedMaxEventsPerSecond(self.maxEventsPerSecond, setting: maxEventsPerSecond)
        } catch {
            throw .invalidField(error)
        }
        return Checked(tracer: tracer, templateId: traceId, lastingSeconds: lastingSeconds, target: target, maxEventsPerSecond: eventsPerSecond)
    }

    /// The rule of `maxEventsPerSecond` in every start: absent takes the setting's; else a
    /// whole number from 1 to the setting's.
    public static func checkedMaxEventsPerSecond(_ asked: Int64?, setting: Int) throws(FieldError) -> Int {
        guard let asked else { return setting }
        guard (1...Int64(setting)).contains(asked) else {
            throw FieldError(
                field: "maxEventsPerSecond",
                reason: "must be a whole number from 1 to \(setting) (max-events-per-second: a start may ask for less, never more), got \(asked)"
            )
        }
        return Int(asked)
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
