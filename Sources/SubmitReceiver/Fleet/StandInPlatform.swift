import Credentials
import Foundation
import Hummingbird
import PlatformServer

/// The endpoint tests' stand-in for `lambda-platform` (and `make bench`'s): everything
/// kept in memory and in files, nothing durable. It exists for what the real platform
/// must not do and a test of the endpoint needs on demand: task answers left unsigned,
/// results refused or delayed (`ResultFault`), `/submit` messages refused or delayed
/// (`ReceiverFault`) — hostile behaviours on purpose. Sessions over the fleet are the
/// real platform's (`Sources/PlatformServer/Sessions`), tested with real endpoints in
/// `Tests/EndpointRunTests/SessionRunTests.swift`.
///
/// It keeps who the endpoints are and their secrets, their registrations, task queues
/// and results, and the received traces.
public final class StandInPlatform: Sendable {
    public let store: SubmitStore
    public let authenticator: FleetAuthenticator
    public let signer: AnswerSigner
    public let registry: EndpointRegistry
    public let queues: TaskQueues
    /// For tests of the endpoint: task answers without the `Authorization` that proves
    /// the platform knows the secret (the endpoint must ignore them).
    public let unsignedTasks: Bool
    /// For tests of the endpoint: results answered with the status it returns, not recorded.
    public let resultFault: ResultFault?

    /// The longest a poll waits for a task (as the seed dutserver's agents).
    public static let maxWaitSeconds = 26.0
    /// This platform's own bound on a poll's wait: `maxWaitSeconds`, or less for a check
    /// that must not sit in long polls.
    public let pollWaitCap: Double

    public init(
        store: SubmitStore,
        credentials: EndpointCredentials,
        authSettings: AuthSettings = AuthSettings(),
        unsignedTasks: Bool = false,
        resultFault: ResultFault? = nil,
        pollWaitCap: Double = StandInPlatform.maxWaitSeconds
    ) {
        self.pollWaitCap = min(max(pollWaitCap, 0), Self.maxWaitSeconds)
        self.store = store
        authenticator = FleetAuthenticator(credentials: credentials, settings: authSettings)
        signer = AnswerSigner(credentials: credentials)
        registry = EndpointRegistry()
        queues = TaskQueues()
        self.unsignedTasks = unsignedTasks
        self.resultFault = resultFault
    }

    /// The endpoint a request's Authorization proves, its `Lambda-Signature` verified too,
    /// or the 401 (503 when busy) to answer. The body (up to `bodyLimit`) stays readable.
    func requireEndpoint(_ request: inout Request, bodyLimit: Int = 1 << 20) async throws -> String {
        try await authenticator.requireEndpoint(&request, bodyLimit: bodyLimit)
    }
}
