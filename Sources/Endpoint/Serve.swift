import ArgumentParser
import EndpointConfig
import EndpointServer
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Start the endpoint's HTTP API (SIGTERM or SIGINT stops it gracefully)."
    )

    @OptionGroup var config: ConfigOptions

    @Option(
        name: .customLong("port-file"),
        help: "Once listening, write the bound port (digits and a newline) to this file, atomically, mode 0600: for settings.yml's port 0."
    )
    var portFile: String?

    func run() async throws {
        var configuration = try loadConfigurationOrExit(directory: config.directory)
        let access = SettingsFileAccess.checkAll(configDirectory: config.directory, databasePath: configuration.server.databasePath)
        for case .refused(let reason) in access {
            printToStandardError("lambda-endpoint: \(reason)")
            throw ExitCode(1)
        }
        let portFile = portFile.map(PortFile.init(path:))
        do {
            try portFile?.checkWritable()
        } catch {
            printToStandardError("lambda-endpoint: --port-file: \(error)")
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
        let portFileFailure = LateFailure()
        try await buildApplication(
            dependencies: dependencies,
            logger: logger,
            onServerRunning: { port in
                guard let portFile else { return }
                do {
                    guard let port else { throw PortFile.Failure(description: "the server has no local port to write") }
                    try portFile.write(port: port)
                } catch {
                    // Checked writable at start, so something changed since. Whoever waits for
                    // the file would wait in vain: stop the way SIGTERM does (runs and
                    // deliveries wind down as usual), then exit 1 below.
                    portFileFailure.record("\(error)")
                    logger.error("Cannot write the port file; stopping", metadata: ["port-file.error": "\(error)"])
                    kill(getpid(), SIGTERM)
                }
            }
        ).runService()
        if let failure = portFileFailure.reason {
            printToStandardError("lambda-endpoint: --port-file: \(failure)")
            throw ExitCode(1)
        }
    }
}

/// A failure found in a callback that cannot throw, kept for `run` to exit with.
private final class LateFailure: Sendable {
    private let value = Mutex<String?>(nil)
    func record(_ reason: String) { value.withLock { $0 = reason } }
    var reason: String? { value.withLock { $0 } }
}
