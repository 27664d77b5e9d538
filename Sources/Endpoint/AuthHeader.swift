import ArgumentParser
import Credentials

struct AuthHeader: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "auth-header",
        abstract: "Print a valid Authorization header value for this endpoint, e.g. for curl.",
        discussion: "curl -H \"Authorization: $(lambda-endpoint auth-header --config Config)\" http://127.0.0.1:3000/traces"
    )

    @OptionGroup var config: ConfigOptions

    func run() async throws {
        let configuration = try loadConfigurationOrExit(directory: config.directory)
        let lambda = configuration.lambda
        print(try AuthorizationHeader.make(endpointUUID: lambda.endpointUUID, secret: lambda.secret))
    }
}
