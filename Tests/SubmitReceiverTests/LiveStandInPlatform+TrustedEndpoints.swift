import EndpointTestSupport
import SubmitReceiver

/// The endpoints the stand-in platform trusts in these tests, and how they register.
extension LiveStandInPlatform {
    static let first = (uuid: "11111111-1111-4111-8111-111111111111", secret: "first-secret")
    static let second = (uuid: "22222222-2222-4222-8222-222222222222", secret: "second-secret")

    /// The stand-in platform trusting `first` and `second`.
    convenience init(unsignedTasks: Bool = false) async throws {
        try await self.init(trusting: [Self.first, Self.second], unsignedTasks: unsignedTasks)
    }

    static func registration(_ uuid: String, control: String = "pull", labels: String = #"{"role": "db"}"#) -> String {
        #"{"uuid": "\#(uuid)", "hostname": "host-\#(uuid.prefix(4))", "labels": \#(labels), "version": "1.2.3", "control": "\#(control)", "analyses": ["cpu"], "time": "2026-12-02T06:00:00Z"}"#
    }
}
