import EndpointTestSupport
import SubmitReceiver

extension LiveStandInPlatform {
    /// The stand-in platform trusting the endpoints of `PullEndpoints`.
    convenience init(unsignedTasks: Bool = false, resultFault: ResultFault? = nil) async throws {
        try await self.init(
            trusting: PullEndpoints.all.map { ($0.uuid, $0.secret) },
            unsignedTasks: unsignedTasks,
            resultFault: resultFault
        )
    }
}

/// The endpoints a `LiveStandInPlatform` trusts: uuids and secrets for `EndpointProcess`'s config.
enum PullEndpoints {
    struct Identity: Sendable {
        let uuid: String
        let secret: String

        /// lambda-settings.yml overrides that make an endpoint this one, polling `platform`.
        func settings(_ platform: LiveStandInPlatform, control: String = "pull", labels: String? = nil, pollWait: Int = 2) -> [String: String?] {
            settings(platformURL: platform.url, control: control, labels: labels, pollWait: pollWait)
        }

        func settings(platformURL: String, control: String = "pull", labels: String? = nil, pollWait: Int = 2) -> [String: String?] {
            [
                "endpoint-uuid": uuid, "secret": "\"\(secret)\"", "platform-url": platformURL, "control": control, "labels": labels,
                "poll-wait": "\(pollWait)", "register-interval": "5", "keep-run-files": "true",
            ]
        }
    }

    static let db = Identity(uuid: "aaaaaaaa-0000-4000-8000-000000000001", secret: "db-secret")
    static let web = Identity(uuid: "aaaaaaaa-0000-4000-8000-000000000002", secret: "web-secret")
    static let pushed = Identity(uuid: "aaaaaaaa-0000-4000-8000-000000000003", secret: "pushed-secret")
    static var all: [Identity] { [db, web, pushed] }
}
