/// `settings.yml`'s limits on HTTP connections: how many may be open and how long one
/// may sit idle or take to send a request. Documented in `Config/settings.yml`.
public struct ConnectionSettings: Sendable, Equatable {
    /// Open connections at most. Past it a new connection closes the least recently
    /// active one that is not being answered (or is closed itself when all are).
    public var maxConnections: Int
    /// Seconds a keep-alive connection may wait for its next request.
    public var idleTimeoutSeconds: Int
    /// Seconds a request may take to arrive whole, from its first byte.
    public var requestReadTimeoutSeconds: Int

    /// Each limit left out is its key's default (`ConnectionSettings.definitions`).
    public init(
        maxConnections: Int = ConnectionSettings.definitions.maxConnections.defaultValue,
        idleTimeoutSeconds: Int = ConnectionSettings.definitions.idleTimeoutSeconds.defaultValue,
        requestReadTimeoutSeconds: Int = ConnectionSettings.definitions.requestReadTimeoutSeconds.defaultValue
    ) {
        self.maxConnections = maxConnections
        self.idleTimeoutSeconds = idleTimeoutSeconds
        self.requestReadTimeoutSeconds = requestReadTimeoutSeconds
    }

    /// The connection keys of `settings.yml`: each key's name, default, bounds and
    /// meaning, written once; in the file's order.
    public static let definitions = Definitions()

    public struct Definitions: SettingTable {
        // 1048576 is Linux's largest possible descriptor limit (fs.nr_open's default).
        public let maxConnections = Setting.wholeNumber(
            "max-connections",
            default: 512,
            range: 1...1_048_576,
            "Open HTTP connections at most; past it the least recently active idle one is closed."
        )
        public let idleTimeoutSeconds = Setting.wholeNumber(
            "idle-timeout-seconds",
            default: 60,
            range: 1...3600,
            unit: "seconds",
            "How long a keep-alive connection may wait for its next request."
        )
        public let requestReadTimeoutSeconds = Setting.wholeNumber(
            "request-read-timeout-seconds",
            default: 30,
            range: 1...3600,
            unit: "seconds",
            "How long a request may take to arrive whole, from its first byte."
        )
    }

    init(section: ConfigSection) throws(ConfigError) {
        let table = Self.definitions
        self.maxConnections = try section.read(table.maxConnections)
        self.idleTimeoutSeconds = try section.read(table.idleTimeoutSeconds)
        self.requestReadTimeoutSeconds = try section.read(table.requestReadTimeoutSeconds)
    }
}
