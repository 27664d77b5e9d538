import EndpointTestSupport
import PlatformServer
import SubmitReceiver

/// The endpoints the reference platform trusts in these tests, and how they register.
extension LivePlatform {
    static let first = (uuid: "11111111-1111-4111-8111-111111111111", secret: "first-secret")
    static let second = (uuid: "22222222-2222-4222-8222-222222222222", secret: "second-secret")
    static let pushed = (uuid: "33333333-3333-4333-8333-333333333333", secret: "pushed-secret")

    /// The reference platform trusting `first`, `second` and `pushed`.
    convenience init(
        pushEndpoints: [PushEndpoint] = [],
        pushClient: any PushEndpointCalling = URLSessionPushClient(),
        unsignedTasks: Bool = false
    ) async throws {
        try await self.init(
            trusting: [Self.first, Self.second, Self.pushed],
            pushEndpoints: pushEndpoints,
            pushClient: pushClient,
            unsignedTasks: unsignedTasks
        )
    }

    static func registration(_ uuid: String, control: String = "pull", labels: String = #"{"role": "db"}"#) -> String {
        #"{"uuid": "\#(uuid)", "hostname": "host-\#(uuid.prefix(4))", "labels": \#(labels), "version": "1.2.3", "control": "\#(control)", "analyses": ["cpu"], "time": "2026-12-02T06:00:00Z"}"#
    }
}
