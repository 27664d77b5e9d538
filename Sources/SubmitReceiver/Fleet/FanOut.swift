import Foundation
import PlatformServer
import PlatformWire

/// `POST /fleet/start`: one template to start on every endpoint whose labels match.
public struct FanOutRequest: Codable, Sendable {
    public var selector: String
    public var template: JSONValue
    public var traceT: String
    public var lasting: Int

    public init(selector: String, template: JSONValue, traceT: String = "BPF", lasting: Int) {
        self.selector = selector
        self.template = template
        self.traceT = traceT
        self.lasting = lasting
    }

    enum CodingKeys: String, CodingKey { case selector, template, traceT, lasting }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        selector = try container.decodeIfPresent(String.self, forKey: .selector) ?? ""
        template = try container.decode(JSONValue.self, forKey: .template)
        traceT = try container.decodeIfPresent(String.self, forKey: .traceT) ?? "BPF"
        lasting = try container.decode(Int.self, forKey: .lasting)
    }
}

/// Where one endpoint of a fan-out is: `status` and `body` are the answer to the start
/// (or to the step that failed, or a note when no answer came).
public struct FanOutEndpoint: Codable, Sendable, Equatable {
    public enum Mode: String, Codable, Sendable { case pull, push }
    public enum State: String, Codable, Sendable { case queued, started, failed }

    public var uuid: String
    public var mode: Mode
    public var state: State
    public var status: Int?
    public var body: JSONValue?

    public init(uuid: String, mode: Mode, state: State, status: Int? = nil, body: JSONValue? = nil) {
        self.uuid = uuid
        self.mode = mode
        self.state = state
        self.status = status
        self.body = body
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(uuid, forKey: .uuid)
        try container.encode(mode, forKey: .mode)
        try container.encode(state, forKey: .state)
        try container.encode(status, forKey: .status)
        try container.encode(body ?? .null, forKey: .body)
    }
}

public struct FanOutSummary: Codable, Sendable, Equatable {
    public var id: String
    public var endpoints: [FanOutEndpoint]

    public init(id: String, endpoints: [FanOutEndpoint]) {
        self.id = id
        self.endpoints = endpoints
    }
}

/// Runs fan-outs. A pull endpoint gets the store (`PUT /trace`) as a queued task; when
/// its result brings a `traceNo`, the start (`POST /trace/start`) is queued. A push
/// endpoint is called directly, the same two requests in the same order.
///
/// Task ids: `<fan-out id>.<endpoint uuid>.store` and `.start`, within the task id rule.
public actor FanOutCoordinator {
    private enum Step: String { case store, start }

    private let queues: TaskQueues
    private let registry: EndpointRegistry
    private let signer: AnswerSigner
    private let pushClient: any PushEndpointCalling
    private var fanOuts: [String: (request: FanOutRequest, endpoints: [FanOutEndpoint])] = [:]
    private var steps: [String: (fanOut: String, uuid: String, step: Step)] = [:]

    public init(queues: TaskQueues, registry: EndpointRegistry, signer: AnswerSigner, pushClient: any PushEndpointCalling) {
        self.queues = queues
        self.registry = registry
        self.signer = signer
        self.pushClient = pushClient
    }

    public func start(_ request: FanOutRequest) async throws(LabelSelector.Malformed) -> FanOutSummary {
        let selector = try LabelSelector(parsing: request.selector)
        let id = "fan-" + UUID().uuidString.prefix(8).lowercased()
        let matching = await registry.list().filter { selector.matches($0.labels) }
        var endpoints: [FanOutEndpoint] = []
        var pushCalls: [(uuid: String, url: String)] = []
        for endpoint in matching {
            if endpoint.reachedByPull {
                endpoints.append(FanOutEndpoint(uuid: endpoint.uuid, mode: .pull, state: .queued))
                let taskID = "\(id).\(endpoint.uuid).store"
                steps[taskID] = (id, endpoint.uuid, .store)
                await queues.enqueue(PlatformTask(id: taskID, method: "PUT", path: "/trace", body: request.template), for: endpoint.uuid)
            } else if let url = endpoint.url {
                endpoints.append(FanOutEndpoint(uuid: endpoint.uuid, mode: .push, state: .queued))
                pushCalls.append((endpoint.uuid, url))
            } else {
                let note = JSONValue.string("registered as push-only and no --push-endpoint url declares how to reach it")
                endpoints.append(FanOutEndpoint(uuid: endpoint.uuid, mode: .push, state: .failed, body: note))
            }
        }
        fanOuts[id] = (request, endpoints)
        for call in pushCalls {
            Task { await self.push(fanOut: id, uuid: call.uuid, url: call.url) }
        }
        return FanOutSummary(id: id, endpoints: endpoints)
    }

    public func summary(_ id: String) -> FanOutSummary? {
        fanOuts[id].map { FanOutSummary(id: id, endpoints: $0.endpoints) }
    }

    /// Called with every result that was new (the first of its id): advances the fan-out
    /// the task belongs to, if any.
    public func resultArrived(_ result: TaskResult, for taskID: String) async {
        guard let (fanOut, uuid, step) = steps[taskID], let request = fanOuts[fanOut]?.request else { return }
        switch step {
        case .store:
            guard result.status == 200, let traceNo = result.body?["traceNo"]?.wholeNumber else {
                update(fanOut, uuid) {
                    $0.state = .failed
                    $0.status = result.status
                    $0.body = result.body
                }
                return
            }
            let startID = "\(fanOut).\(uuid).start"
            steps[startID] = (fanOut, uuid, .start)
            await queues.enqueue(
                PlatformTask(id: startID, method: "POST", path: "/trace/start", body: Self.startBody(request, traceNo: traceNo)),
                for: uuid
            )
        case .start:
            update(fanOut, uuid) {
                $0.state = result.status == 200 ? .started : .failed
                $0.status = result.status
                $0.body = result.body
            }
        }
    }

    private static func startBody(_ request: FanOutRequest, traceNo: Int) -> JSONValue {
        .object(["traceT": .string(request.traceT), "traceId": .integer(Int64(traceNo)), "lasting": .integer(Int64(request.lasting))])
    }

    private func push(fanOut: String, uuid: String, url: String) async {
        guard let request = fanOuts[fanOut]?.request else { return }
        guard let authorization = await signer.header(for: uuid), let messageSigner = signer.messageSigner(for: uuid) else {
            update(fanOut, uuid) {
                $0.state = .failed
                $0.body = .string("no secret for this endpoint")
            }
            return
        }
        let credentials = PushCredentials(authorization: authorization, signer: messageSigner)
        let stored = await pushClient.call(baseURL: url, method: "PUT", path: "/trace", body: request.template, credentials: credentials)
        guard stored.status == 200, let traceNo = stored.body?["traceNo"]?.wholeNumber else {
            update(fanOut, uuid) {
                $0.state = .failed
                $0.status = stored.status
                $0.body = stored.body
            }
            return
        }
        let started = await pushClient.call(
            baseURL: url,
            method: "POST",
            path: "/trace/start",
            body: Self.startBody(request, traceNo: traceNo),
            credentials: credentials
        )
        update(fanOut, uuid) {
            $0.state = started.status == 200 ? .started : .failed
            $0.status = started.status
            $0.body = started.body
        }
    }

    private func update(_ fanOut: String, _ uuid: String, _ change: (inout FanOutEndpoint) -> Void) {
        guard let index = fanOuts[fanOut]?.endpoints.firstIndex(where: { $0.uuid == uuid }) else { return }
        change(&fanOuts[fanOut]!.endpoints[index])
    }
}
