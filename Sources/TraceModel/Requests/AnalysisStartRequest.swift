/// The body of `POST /analysis/start`: `{"analysis": NAME, "parameters": {...},
/// "lasting": SECONDS, "target": TARGET, "maxEventsPerSecond": N, "resume": BOOL}` (the
/// last three as in `StartRequest`). Decoding checks
/// the shape (`parameters` absent or `null` means `{}`; a value of any JSON type is
/// taken here and judged by its parameter); `checked(maxLastingSeconds:)` the values.
public struct AnalysisStartRequest: Codable, Sendable, Equatable {
    public let analysis: String
    public let parameters: [String: AnalysisParameterInput]
    public let lasting: Int64
    public let target: TargetObject?
    public let maxEventsPerSecond: Int64?
    public let resume: Bool?

    /// What an analysis start asks for once its values passed their rules.
    public struct Checked: Equatable, Sendable {
        public let analysis: ValidatedAnalysis
        public let lastingSeconds: Int
        public let target: TargetRequest?
        public let maxEventsPerSecond: Int
    }

    enum CodingKeys: String, CodingKey { case analysis, parameters, lasting, target, maxEventsPerSecond, resume }

    public init(
        analysis: String,
        parameters: [String: AnalysisParameterInput] = [:],
        lasting: Int64,
        target: TargetObject? = nil,
        maxEventsPerSecond: Int64? = nil,
        resume: Bool? = nil
    ) {
        self.analysis = analysis
        self.parameters = parameters
        self.lasting = lasting
        self.target = target
        self.maxEventsPerSecond = maxEventsPerSecond
        self.resume = resume
    }

    /// The same start for `lasting` seconds: what a relaunch asks for the time left.
    public func lasting(_ seconds: Int64) -> AnalysisStartRequest {
        AnalysisStartRequest(
            analysis: analysis,
            parameters: parameters,
            lasting: seconds,
            target: target,
            maxEventsPerSecond: maxEventsPerSecond,
            resume: resume
        )
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.analysis = try container.decode(String.self, forKey: .analysis)
        self.parameters = try container.decodeIfPresent([String: AnalysisParameterInput].self, forKey: .parameters) ?? [:]
        self.lasting = try container.decodeWholeNumber(forKey: .lasting)
        self.target = try container.decodeIfPresent(TargetObject.self, forKey: .target)
        self.maxEventsPerSecond = try container.decodeWholeNumberIfPresent(forKey: .maxEventsPerSecond)
        self.resume = try container.decodeIfPresent(Bool.self, forKey: .resume)
    }

    /// The analysis must exist (404), its parameters pass their rules and `lasting` be
    /// 1...`maxLastingSeconds` and a `target` one of its shapes (400 naming the field). Whether this host can run it
    /// (409) and whether a probed binary holds its functions are checked by the start,
    /// which reads the host (`TracingHost`, `ValidatedAnalysis.inspectBinary()`).
    public func checked(maxLastingSeconds: Int, maxEventsPerSecond: Int) throws(AnalysisRefusal) -> Checked {
        let validated = try AnalysisCatalogue.validated(name: analysis, parameters: parameters)
        do throws(FieldError) {
            return Checked(
                analysis: validated,
                lastingSeconds: try StartRequest.checkedLasting(lasting, maxLastingSeconds: maxLastingSeconds),
                target: try target.map(TargetRequest.init(checking:)),
                maxEventsPerSecond: try StartRequest.checkedMaxEventsPerSecond(self.maxEventsPerSecond, setting: maxEventsPerSecond)
            )
        } catch {
            throw .invalidField(error)
        }
    }
}
