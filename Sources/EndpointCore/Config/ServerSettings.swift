import Foundation

/// `settings.yml`: where the endpoint listens and where its database lives.
public struct ServerSettings: Sendable, Equatable {
    public var host: String
    public var port: Int
    /// Absolute path of the SQLite file.
    public var databasePath: String
    /// Maximum number of concurrent SQLite readers.
    public var databasePoolSize: Int
    /// Serve HTTPS with this certificate chain and key (PEM); nil: plain HTTP.
    public var tls: TLSFiles?
    /// How many connections may be open, and how long one may idle or trickle.
    public var connections: ConnectionSettings

    public struct TLSFiles: Sendable, Equatable {
        public var certificatePath: String
        public var keyPath: String
    }

    public init(
        host: String, port: Int, databasePath: String, databasePoolSize: Int, tls: TLSFiles? = nil,
        connections: ConnectionSettings = ConnectionSettings()
    ) {
        self.host = host
        self.port = port
        self.databasePath = databasePath
        self.databasePoolSize = databasePoolSize
        self.tls = tls
        self.connections = connections
    }

    static let knownKeys: Set<String> = Set(["host", "port", "database", "tls-certificate", "tls-key"]).union(ConnectionSettings.knownKeys)
    static let knownDatabaseKeys: Set<String> = ["database", "poolsize"]

    /// Reads the section; a relative database path is taken relative to `configDirectory`
    /// so that the daemon does not depend on the directory it was started from.
    init(section: ConfigSection, configDirectory: String) throws(ConfigError) {
        let host = try section.string("host", default: "127.0.0.1")
        self.host = try Self.bindAddress(host, section: section)
        self.port = try section.int("port", default: 3000, range: 0...65535)
        let database = try section.section("database")
        let file = try database.string("database", default: "lambda.sqlite3")
        guard !file.contains("\0") else { throw database.error("database", "must not contain NUL bytes") }
        self.databasePath = file.hasPrefix("/") ? file : URL(fileURLWithPath: configDirectory).appendingPathComponent(file).standardizedFileURL.path
        self.databasePoolSize = try database.int("poolsize", default: 10, range: 1...64)
        let certificate = try section.optionalString("tls-certificate").map { Self.resolve($0, in: configDirectory) }
        let key = try section.optionalString("tls-key").map { Self.resolve($0, in: configDirectory) }
        switch (certificate, key) {
        case (nil, nil):
            self.tls = nil
        case let (certificate?, key?):
            for (name, path) in [("tls-certificate", certificate), ("tls-key", key)] where access(path, R_OK) != 0 {
                throw section.error(name, "\(path) is not a readable file")
            }
            self.tls = TLSFiles(certificatePath: certificate, keyPath: key)
        case (nil, _):
            throw section.error("tls-certificate", "is required when tls-key is set (both or neither)")
        case (_, nil):
            throw section.error("tls-key", "is required when tls-certificate is set (both or neither)")
        }
        self.connections = try ConnectionSettings(section: section)
    }

    static func resolve(_ path: String, in configDirectory: String) -> String {
        path.hasPrefix("/") ? path : URL(fileURLWithPath: configDirectory).appendingPathComponent(path).standardizedFileURL.path
    }

    /// Yesod's host wildcards: `*4` any IPv4, `*6` and `*` any address.
    static func bindAddress(_ host: String, section: ConfigSection) throws(ConfigError) -> String {
        switch host {
        case "*4", "!4": return "0.0.0.0"
        case "*", "*6", "!6": return "::"
        default:
            let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: ".-:"))
            guard host.unicodeScalars.allSatisfy({ $0.isASCII && allowed.contains($0) }) else {
                throw section.error("host", "expected an address, a host name or one of *4, *6, *; got \"\(host)\"")
            }
            return host
        }
    }
}
