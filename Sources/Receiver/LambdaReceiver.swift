import ArgumentParser
import EndpointCore
import Foundation
import Hummingbird
import Logging
import SubmitReceiver

/// `lambda-receiver`: a small stand-in for the platform's `/submit`, for a first trace
/// on a new machine and for tests. It trusts the endpoint whose uuid and secret are in
/// `--config DIR/lambda-settings.yml`.
@main
struct LambdaReceiver: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lambda-receiver",
        abstract: "Receive an endpoint's /submit stream and write each trace to <out>/<name>.ndjson with a status file."
    )

    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on.") var port = 3001
    @Option(help: "The endpoint's config directory (for its uuid and secret).") var config = "./Config"
    @Option(help: "Directory for received traces.") var out = "./received"

    func run() async throws {
        let configuration: EndpointConfiguration
        do {
            configuration = try EndpointConfiguration.load(directory: config)
        } catch {
            FileHandle.standardError.write(Data("lambda-receiver: \(error)\n".utf8))
            throw ExitCode(1)
        }
        let lambda = configuration.lambda
        let store = try SubmitStore(directory: out)
        let authenticator = RequestAuthenticator(endpointUUID: lambda.endpointUUID, secret: lambda.secret, settings: lambda.auth)
        var logger = Logger(label: "lambda-receiver")
        logger.logLevel = .info
        let app = Application(
            router: buildReceiverRouter(store: store, authenticator: authenticator),
            configuration: .init(address: .hostname(host, port: port), serverName: "lambda-receiver"),
            logger: logger
        )
        try await app.runService()
    }
}
