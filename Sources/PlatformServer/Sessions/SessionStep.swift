import Foundation
import PlatformWire
import TraceModel

/// A request to one endpoint's own API, sent as a task (pull) or a signed call (push).
struct EndpointRequest: Sendable, Equatable {
    var method: String
    var path: String
    var body: JSONValue?
}

/// An endpoint's answer: its HTTP status and body; no status when none came (then the
/// body says why).
struct EndpointAnswer: Sendable, Equatable {
    var status: Int?
    var body: JSONValue?

    /// The `error` of a JSON refusal, a text body, or a note of what came.
    var errorText: String {
        if let text = body?["error"]?.text { return text }
        if let text = body?.text { return text }
        guard let status else { return "no answer" }
        return "answered \(status)"
    }
}

/// The requests that start a session's run on one endpoint, in order (docs/platform.md,
/// *Sessions*): a template session lists the endpoint's templates (`GET /traces`),
/// stores its template unless an identical one is there (`PUT /trace`), and starts it
/// (`POST /trace/start`); an analysis session starts at once (`POST /analysis/start`).
enum SessionStep: String, Sendable {
    case list, store, start

    /// What the answer to a step leads to.
    enum Outcome: Sendable, Equatable {
        /// Send `step` next; `storedTraceNo`: the template this session just stored.
        case next(SessionStep, traceNo: Int64?, storedTraceNo: Int64?)
        case started(filePath: String)
        case failed(EndpointAnswer)
    }

    /// The step a task's path is, for a task result (nil: not a starting step).
    init?(path: String) {
        switch path {
        case "/traces": self = .list
        case "/trace": self = .store
        case "/trace/start", "/analysis/start": self = .start
        default: return nil
        }
    }

    static func first(of spec: SessionSpec) -> SessionStep { spec.template == nil ? .start : .list }

    /// The request of this step; `traceNo`: the template to start (template sessions).
    func request(_ spec: SessionSpec, traceNo: Int64?) -> EndpointRequest {
        switch self {
        case .list: return EndpointRequest(method: "GET", path: "/traces")
        case .store: return EndpointRequest(method: "PUT", path: "/trace", body: spec.template.map(Self.json))
        case .start:
            var body: [String: JSONValue] = ["lasting": .integer(Int64(spec.lasting))]
            if let target = spec.target { body["target"] = target }
            if let analysis = spec.analysis {
                body["analysis"] = .string(analysis.name)
                body["parameters"] = analysis.parameters
                return EndpointRequest(method: "POST", path: "/analysis/start", body: .object(body))
            }
            body["traceT"] = .string(spec.traceT)
            body["traceId"] = .integer(traceNo ?? 0)
            return EndpointRequest(method: "POST", path: "/trace/start", body: .object(body))
        }
    }

    /// Reads the endpoint's answer to this step.
    func outcome(_ answer: EndpointAnswer, spec: SessionSpec) -> Outcome {
        guard answer.status == 200, let body = answer.body else { return .failed(answer) }
        switch self {
        case .list:
            let stored = (try? JSONDecoder().decode([StoredTemplate].self, from: PlatformJSON.encoded(body))) ?? []
            if let identical = stored.first(where: { $0.info == spec.template }) {
                return .next(.start, traceNo: identical.templateId, storedTraceNo: nil)
            }
            return .next(.store, traceNo: nil, storedTraceNo: nil)
        case .store:
            guard let traceNo = body["traceNo"]?.wholeNumber else { return .failed(answer) }
            return .next(.start, traceNo: Int64(traceNo), storedTraceNo: Int64(traceNo))
        case .start:
            guard let filePath = body["filePath"]?.text else { return .failed(answer) }
            return .started(filePath: filePath)
        }
    }

    static func json(_ value: some Encodable) -> JSONValue {
        (try? JSONDecoder().decode(JSONValue.self, from: PlatformJSON.encoded(value))) ?? .null
    }
}

extension EndpointRequest {
    static func kill(_ filePath: String) -> EndpointRequest {
        EndpointRequest(method: "POST", path: "/trace/kill", body: .object(["killPath": .string(filePath)]))
    }

    static func remove(traceNo: Int64, tracer: String) -> EndpointRequest {
        EndpointRequest(method: "POST", path: "/trace/remove", body: .object(["removeType": .string(tracer), "removeId": .integer(traceNo)]))
    }
}
