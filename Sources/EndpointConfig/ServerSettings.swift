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
        host: String,
        port: Int,
        databasePath: String,
        databasePoolSize: Int,
        tls: TLSFiles? = nil,
        connections: ConnectionSettings = ConnectionSettings()
    ) {
        self.host = host
        self.port = port
        self.databasePath = databasePath
        self.databasePoolSize = databasePoolSize
        self.tls = tls
        self.connections = connections
    }

    /// The keys of `settings.yml` but the connection limits (`ConnectionSettings.definitions`).
    public static let definitions = Definitions()
    /// The keys of its `database` mapping.
    public static let databaseDefinitions = DatabaseDefinitions()

    /// Every key of `settings.yml`: what the unknown-key check knows and what
    /// `Config/settings.yml` must document.
    public static var fileDefinitions: [SettingDefinition] { definitions.all + ConnectionSettings.definitions.all }

    /// Each key's name, default, bounds and meaning, written once; in the file's order.
    public struct Definitions: SettingTable {
        public let host = Setting.text("host", default: "127.0.0.1", "Address to listen on: one address, or *4, *6 or * for every one.")
        public let port = Setting.wholeNumber("port", default: 3000, range: 0...65535, "TCP port; 0 picks a free one.")
        public let database = MappingSetting(
            "database",
            keys: ServerSettings.databaseDefinitions,
            "The SQLite database (Yesod's SQLite scaffold shape)."
        )
        public let tlsCertificate = Setting.optionalText(
            "tls-certificate",
            "PEM certificate chain served over HTTPS; unset (with tls-key): plain HTTP."
        )
        public let tlsKey = Setting.optionalText("tls-key", "PEM private key of tls-certificate.")
    }

    public struct DatabaseDefinitions: SettingTable {
        public let file = Setting.text("database", default: "lambda.sqlite3", "SQLite file; a relative path is relative to the config directory.")
        public let poolSize = Setting.wholeNumber("poolsize", default: 10, range: 1...64, "Concurrent SQLite readers at most.")
    }

    /// Reads the section; a relative database path is taken relative to `configDirectory`
    /// so that the daemon does not depend on the directory it was started from.
    init(section: ConfigSection, configDirectory: String) throws(ConfigError) {
        let table = Self.definitions
        self.host = try Self.bindAddress(try section.read(table.host), section: section)
        self.port = try section.read(table.port)
        let database = try section.read(table.database)
        let databaseTable = Self.databaseDefinitions
        let file = try database.read(databaseTable.file)
        guard !file.contains("\0") else { throw database.error(databaseTable.file, "must not contain NUL bytes") }
        self.databasePath = file.hasPrefix("/") ? file : URL(fileURLWithPath: configDirectory).appendingPathComponent(file).standardizedFileURL.path
        self.databasePoolSize = try database.read(databaseTable.poolSize)
        let certificate = try section.read(table.tlsCertificate).map { Self.resolve($0, in: configDirectory) }
        let key = try section.read(table.tlsKey).map { Self.resolve($0, in: configDirectory) }
        switch (certificate, key) {
        case (nil, nil):
            self.tls = nil
        case let (certificate?, key?):
            for (setting, path) in [(table.tlsCertificate, certificate), (table.tlsKey, key)] where access(path, R_OK) != 0 {
                throw section.error(setting, "\(path) is not a readable file")
            }
            self.tls = TLSFiles(certificatePath: certificate, keyPath: key)
        case (nil, _):
            throw section.error(table.tlsCertificate, "is required when \(table.tlsKey.key) is set (both or neither)")
        case (_, nil):
            throw section.error(table.tlsKey, "is required when \(table.tlsCertificate.key) is set (both or neither)")
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
                throw section.error(definitions.host, "expected an address, a host name or one of *4, *6, *; got \"\(host)\"")
            }
            return host
        }
    }
}
