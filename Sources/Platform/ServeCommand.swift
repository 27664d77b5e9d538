import ArgumentParser
import Foundation
import Hummingbird
import Logging
import PlatformServer
import PlatformStore

/// `lambda-platform serve --config DIR`: reads DIR/platform.yml, opens (migrating) the
/// database, and serves until SIGTERM or SIGINT.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Serve endpoints and operators (DIR/platform.yml).")

    @Option(help: "The configuration directory holding platform.yml.") var config = "/etc/lambda-platform"
    @Option(help: "Write the port listened on to this file once listening (with port: 0, any free port).") var portFile: String?

    func run() async throws {
        var logger = Logger(label: "lambda-platform")
        logger.logLevel = .info
        let settings: PlatformSettings
        let database: any PlatformDatabase
        do {
            settings = try PlatformSettings.load(directory: config)
            database = try await PlatformDatabaseOpening.open(settings, logger: logger)
        } catch {
            FileHandle.standardError.write(Data("lambda-platform: \(error)\n".utf8))
            throw ExitCode(1)
        }
        let platform = Platform(settings: settings, database: database, logger: logger)
        try await platform.declareEndpoints()
        if try await AccountStore(database: database).count() == 0 {
            FileHandle.standardError.write(Data(Self.noAccountHint(config: config).utf8))
        }
        logger.info("lambda-platform serving", metadata: ["address": "\(settings.host):\(settings.port)", "database": "\(database.summary)"])
        let portFile = portFile
        let app = buildPlatformApplication(platform: platform) { port in
            // Written whole then renamed: a reader never sees half a number.
            if let portFile {
                try? Data("\(port)\n".utf8).write(to: URL(fileURLWithPath: portFile), options: .atomic)
            }
        }
        // Services of the platform beside the HTTP server, ended when it ends: push
        // endpoints' heartbeats (whether they are online), the retention sweep, and the
        // other instances' wake-ups (PostgreSQL; with SQLite it only waits), and the OTLP
        // export when platform.yml names a collector.
        let heartbeat = Task { await EndpointHeartbeat(platform: platform, client: URLSessionPushClient(timeout: 10)).run() }
        let retention = Task { await RetentionService(platform: platform).run() }
        let announcements = Task { await platform.listenForAnnouncements() }
        let logExport = Task { await platform.logExport?.run() }
        defer {
            logExport.cancel()
            heartbeat.cancel()
            retention.cancel()
            announcements.cancel()
        }
        try await app.runService()
        heartbeat.cancel()
        retention.cancel()
        announcements.cancel()
        logExport.cancel()
        _ = await retention.value
        _ = await announcements.value
        await database.close()
    }

    /// Printed at a start with no account: the operator API cannot be used without one.
    static func noAccountHint(config: String) -> String {
        """
        lambda-platform: no account yet; add an admin (the password is read from standard input):
          lambda-platform account add NAME --role admin --config \(config)

        """
    }
}
