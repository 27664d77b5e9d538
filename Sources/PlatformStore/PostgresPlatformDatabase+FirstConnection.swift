import Logging
import NIOPosix
import NIOSSL
import PostgresNIO

extension PostgresPlatformDatabase {
    /// One connection made and closed at start, before the pool's first use. The pool
    /// retries a connection that failed quietly, so a wrong password, an unknown database
    /// or a refused TLS would only show as "no connection within 5 s"; this says why
    /// (without the password: `reason` names the server's message and SQLSTATE only).
    static func firstConnection(_ location: PostgresLocation, password: String?, logger: Logger) async throws {
        do {
            let tls = try await connectionTLS(location.tls)
            var configuration = PostgresConnection.Configuration(
                host: location.host,
                port: location.port,
                username: location.user,
                password: password,
                database: location.database,
                tls: tls
            )
            configuration.options.connectTimeout = TimeAmount(connectTimeout)
            let connection = try await PostgresConnection.connect(configuration: configuration, id: 0, logger: logger)
            try? await connection.close()
        } catch {
            throw PlatformStoreError.cannotOpen("\(location.summary): \(reason(error))")
        }
    }

    /// The pool's TLS settings (`tlsConfiguration`) for a single connection, whose TLS
    /// context is made here: it reads the system's trust roots, so on NIO's thread pool.
    static func connectionTLS(_ mode: PostgresLocation.TLSMode) async throws -> PostgresConnection.Configuration.TLS {
        guard let configuration = tlsConfiguration(mode) else { return .disable }
        let context = try await NIOThreadPool.singleton.runIfActive { try NIOSSLContext(configuration: configuration) }
        return mode == .prefer ? .prefer(context) : .require(context)
    }
}
