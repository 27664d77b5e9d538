import Authentication
import Logging
import PlatformStore

/// Asks every push endpoint's `GET /heartbeat` each `interval` (a signed call, as every
/// call to a push endpoint) and notes an answer 200 as the endpoint seen: a push endpoint
/// sends nothing by itself while idle, so without this it would look offline.
/// At most `maxConcurrent` calls at once; each bounded by the client's timeout.
public struct EndpointHeartbeat: Sendable {
    public let platform: Platform
    public let client: any PushEndpointCalling
    public let clock: OperatorClock
    public let interval: Duration
    public static let maxConcurrent = 16

    public init(platform: Platform, client: any PushEndpointCalling, clock: OperatorClock = .system, interval: Duration = .seconds(30)) {
        self.platform = platform
        self.client = client
        self.clock = clock
        self.interval = interval
    }

    /// Beats until cancelled, the first at once.
    public func run() async {
        while !Task.isCancelled {
            await beatOnce()
            try? await Task.sleep(for: interval)
        }
    }

    /// Asks every push endpoint once; returns when each answered or gave up.
    public func beatOnce() async {
        let pushEndpoints: [EndpointRecord]
        do {
            pushEndpoints = try await platform.endpoints.all().filter { $0.url != nil }
        } catch {
            platform.logger.warning("Heartbeat: cannot read the endpoints", metadata: ["error": "\(error)"])
            return
        }
        await withTaskGroup(of: Void.self) { group in
            for (index, endpoint) in pushEndpoints.enumerated() {
                if index >= Self.maxConcurrent { await group.next() }
                group.addTask { await self.beat(endpoint) }
            }
        }
    }

    func beat(_ endpoint: EndpointRecord) async {
        guard let url = endpoint.url, let authorization = await platform.signer.header(for: endpoint.uuid),
            let signer = platform.signer.messageSigner(for: endpoint.uuid)
        else { return }
        let answer = await client.call(
            baseURL: url,
            method: "GET",
            path: "/heartbeat",
            body: nil,
            credentials: PushCredentials(authorization: authorization, signer: signer)
        )
        guard answer.status == 200 else {
            platform.logger.debug(
                "Heartbeat unanswered",
                metadata: ["endpoint.uuid": "\(endpoint.uuid)", "status": "\(answer.status.map(String.init) ?? "none")"]
            )
            return
        }
        do {
            try await platform.endpoints.seen(endpoint.uuid, now: clock.now())
        } catch {
            platform.logger.warning("Heartbeat: cannot record it", metadata: ["endpoint.uuid": "\(endpoint.uuid)", "error": "\(error)"])
        }
    }
}
