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

    public init(maxConnections: Int = 512, idleTimeoutSeconds: Int = 60, requestReadTimeoutSeconds: Int = 30) {
        self.maxConnections = maxConnections
        self.idleTimeoutSeconds = idleTimeoutSeconds
        self.requestReadTimeoutSeconds = requestReadTimeoutSeconds
    }

    static let knownKeys: Set<String> = ["max-connections", "idle-timeout-seconds", "request-read-timeout-seconds"]

    init(section: ConfigSection) throws(ConfigError) {
        let defaults = ConnectionSettings()
        // 1048576 is Linux's largest possible descriptor limit (fs.nr_open's default).
        self.maxConnections = try section.int("max-connections", default: defaults.maxConnections, range: 1...1_048_576)
        self.idleTimeoutSeconds = try section.int("idle-timeout-seconds", default: defaults.idleTimeoutSeconds, range: 1...3600, unit: "seconds")
        self.requestReadTimeoutSeconds = try section.int(
            "request-read-timeout-seconds", default: defaults.requestReadTimeoutSeconds, range: 1...3600, unit: "seconds")
    }
}
