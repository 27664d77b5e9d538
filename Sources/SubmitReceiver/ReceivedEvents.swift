import Foundation
import Hummingbird
import PlatformServer
import PlatformWire

/// The stand-in platform's side of `POST /events` (docs/fleet.md, "Events"): the
/// events endpoints posted, each `(endpoint, id)` kept once, the newest `maxKept`, in
/// memory (the durable platform keeps its own).
public actor ReceivedEvents {
    public static let maxPerPost = EndpointEvent.maxPerPost
    public static let maxBodyBytes = 1 << 20
    public static let maxKept = 10_000

    /// A test's way to make the route misbehave on purpose: called with each valid
    /// batch; a status it returns is answered instead and nothing is stored.
    public typealias Fault = @Sendable ([EndpointEvent]) async -> HTTPResponse.Status?

    public struct Received: Sendable, Equatable {
        public let endpoint: String
        public let event: EndpointEvent
    }

    private var kept: [Received] = []
    private var keys: Set<String> = []
    private(set) var fault: Fault?

    public init() {}

    public func misbehave(_ fault: Fault?) { self.fault = fault }

    /// Stores the events not seen before from `endpoint`; how many were new.
    @discardableResult
    func receive(_ events: [EndpointEvent], from endpoint: String) -> Int {
        var new = 0
        for event in events where keys.insert(Self.key(endpoint, event.id)).inserted {
            kept.append(Received(endpoint: endpoint, event: event))
            new += 1
        }
        if kept.count > Self.maxKept {
            for gone in kept.prefix(kept.count - Self.maxKept) { keys.remove(Self.key(gone.endpoint, gone.event.id)) }
            kept.removeFirst(kept.count - Self.maxKept)
        }
        return new
    }

    /// What arrived, oldest first; only `endpoint`'s when given.
    public func events(from endpoint: String? = nil) -> [EndpointEvent] {
        kept.filter { endpoint == nil || $0.endpoint == endpoint?.lowercased() }.map(\.event)
    }

    private static func key(_ endpoint: String, _ id: String) -> String { endpoint + "\n" + id }
}

/// `POST /events`: authenticated and signed as `/submit` is, a JSON array of at most
/// `ReceivedEvents.maxPerPost` events in at most 1 MiB, each id and kind checked (400
/// naming the field, nothing stored).
func addEventRoute(to router: Router<BasicRequestContext>, events: ReceivedEvents, verifier: some EndpointVerifying) {
    router.post("events") { request, _ -> Response in
        var request = request
        let endpoint = try await verifier.requireEndpoint(&request, bodyLimit: ReceivedEvents.maxBodyBytes)
        let batch = try await PlatformJSON.decode([EndpointEvent].self, from: request, upTo: ReceivedEvents.maxBodyBytes)
        guard batch.count <= ReceivedEvents.maxPerPost else {
            throw PlatformRefusal(.badRequest, "body: \(batch.count) events; at most \(ReceivedEvents.maxPerPost) in one POST")
        }
        for (index, event) in batch.enumerated() {
            guard EndpointEvent.isValidID(event.id) else { throw PlatformRefusal(.badRequest, "[\(index)].id: 1-128 of [A-Za-z0-9._:-]") }
            guard EndpointEvent.isValidKind(event.kind) else { throw PlatformRefusal(.badRequest, "[\(index)].kind: 1-64 of [a-z0-9-]") }
        }
        if let fault = await events.fault, let status = await fault(batch) { return Response(status: status) }
        let stored = await events.receive(batch, from: endpoint.lowercased())
        return try PlatformJSON.response(["received": batch.count, "stored": stored])
    }
}
