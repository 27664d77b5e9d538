import ArgumentParser
import EndpointCore
import EndpointServer
import Logging

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Start the endpoint's HTTP API (SIGTERM or SIGINT stops it gracefully).")

    @OptionGroup var config: ConfigOptions

    func run() async throws {
        var configuration = try loadConfigurationOrExit(directory: config.directory)
        let access = SettingsFileAccess.checkAll(configDirectory: config.directory, databasePath: configuration.server.databasePath)
        for case .refused(let reason) in access {
            printToStandardError("lambda-endpoint: \(reason)")
            throw ExitCode(1)
        }
        let logLevel = configuration.lambda.logLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = logLevel
            return handler
        }
        let logger = Logger(label: "lambda-endpoint")
        for case .warning(let reason) in access {
            logger.warning("Configuration file readable beyond its owner", metadata: ["config.warning": "\(reason)"])
        }
        for warning in configuration.warnings {
            logger.warning("Configuration warning", metadata: ["config.warning": "\(warning)"])
        }
        let descriptors = OpenFileLimit.raiseAndBudget(&configuration)
        let dependencies: EndpointDependencies
        do {
            dependencies = try EndpointDependencies(configuration: configuration, logger: logger)
        } catch {
            printToStandardError("lambda-endpoint: \(config.directory)/\(error)")
            throw ExitCode(1)
        }
        descriptors.log(to: logger)
        try await buildApplication(dependencies: dependencies, logger: logger).runService()
    }
}
