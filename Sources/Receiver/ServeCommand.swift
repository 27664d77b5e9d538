import ArgumentParser
import Credentials
import EndpointConfig
import Foundation
import Hummingbird
import Logging
import PlatformServer
import SubmitReceiver

/// Runs the stand-in platform (`StandInPlatform`). It trusts the endpoint of
/// `--config DIR/lambda-settings.yml`, or the endpoints of `--endpoints FILE` or every
/// endpoint holding `--fleet-secret-file`'s secret; with many endpoints, traces are stored
/// in a directory per endpoint uuid.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract:
            "Receive endpoints' /submit streams (<out>/<name>.ndjson, or <out>/<uuid>/<name>.ndjson for a fleet), registrations and task results."
    )

    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on.") var port = 3001
    @Option(help: "One endpoint's config directory, for its uuid and secret (default ./Config).") var config: String?
    @Option(help: "A JSON file {\"<uuid>\": \"<secret>\", ...} of the endpoints trusted (mode 600).") var endpoints: String?
    @Option(help: "A file holding one secret every endpoint of the fleet shares (mode 600).") var fleetSecretFile: String?
    @Option(help: "Directory for received traces.") var out = "./received"
    @Flag(help: .hidden) var unsignedTasks = false
    /// For a check that must not sit in long polls: polls wait at most this long (default 26 s).
    @Option(help: .hidden) var maxPollWait: Double = StandInPlatform.maxWaitSeconds

    func run() async throws {
        let credentials: EndpointCredentials
        let authSettings: AuthSettings
        do {
            (credentials, authSettings) = try loadCredentials()
        } catch {
            FileHandle.standardError.write(Data("lambda-test-receiver: \(error)\n".utf8))
            throw ExitCode(1)
        }
        let platform = StandInPlatform(
            store: try SubmitStore(directory: out, perEndpoint: credentials.isFleet),
            credentials: credentials,
            authSettings: authSettings,
            unsignedTasks: unsignedTasks,
            pollWaitCap: maxPollWait
        )
        var logger = Logger(label: "lambda-test-receiver")
        logger.logLevel = .info
        let app = Application(
            router: buildPlatformRouter(platform: platform),
            configuration: .init(address: .hostname(host, port: port), serverName: "lambda-test-receiver"),
            logger: logger
        )
        try await app.runService()
    }

    struct ConflictingOptions: Error, CustomStringConvertible {
        var description: String { "give one of --config, --endpoints and --fleet-secret-file" }
    }

    private func loadCredentials() throws -> (EndpointCredentials, AuthSettings) {
        guard [config, endpoints, fleetSecretFile].compactMap({ $0 }).count <= 1 else { throw ConflictingOptions() }
        // A fleet's endpoints each reuse their own header value: room for many of them.
        let fleetSettings = AuthSettings(cacheSize: 65536)
        if let endpoints { return (try EndpointCredentials.loadTable(path: endpoints), fleetSettings) }
        if let fleetSecretFile { return (try EndpointCredentials.loadFleetSecret(path: fleetSecretFile), fleetSettings) }
        let lambda = try EndpointConfiguration.load(directory: config ?? "./Config").lambda
        return (EndpointCredentials(.single(uuid: lambda.endpointUUID, secret: lambda.secret)), lambda.auth)
    }
}
