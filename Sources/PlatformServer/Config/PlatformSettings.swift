import Foundation

/// `DIR/platform.yml`, read once at start. Every key, its default and range are listed
/// in `Config/platform.yml` (the shipped file); a bad value stops start-up with one line
/// naming the key (`PlatformSettingsError`).
public struct PlatformSettings: Sendable {
    /// A push endpoint (with `url`) or a pull one, as platform.yml's `endpoints` names it.
    public struct DeclaredEndpoint: Sendable, Equatable {
        public var uuid: String
        public var secret: String
        public var url: String?
        public var labels: [String: String]?

        public init(uuid: String, secret: String, url: String? = nil, labels: [String: String]? = nil) {
            self.uuid = uuid
            self.secret = secret
            self.url = url
            self.labels = labels
        }
    }

    public var host = "127.0.0.1"
    /// 0: any free port (with `serve --port-file`, which tells which).
    public var port = 3001
    /// A file path (SQLite; relative to the config directory), or `postgres://...`.
    public var database = "platform.sqlite"
    public var databasePasswordFile: String?
    /// PostgreSQL: connections per instance (one of them held by LISTEN, one by a sweep).
    public var databasePoolSize = 10
    /// Load balancers whose `X-Forwarded-For` names the client (the login throttle's key).
    public var trustedProxies: [String] = []
    public var endpoints: [DeclaredEndpoint] = []
    public var fleetSecret: String?
    public var retentionDays = 7
    public var retentionBytes: Int64 = 10_737_418_240
    public var retentionSweepSeconds = 60
    public var tokenHours = 12
    public var tlsCertificate: String?
    public var tlsKey: String?
    /// The longest a poll waits for a task: 26 s as the seed dutserver; less for checks
    /// that must not sit in long polls.
    public var maxPollWait = 26.0
    /// A `?follow=true` stream ends after this many seconds without new bytes.
    public var followIdleSeconds = 300
    /// Bounds of what the platform keeps beside the streams (docs/platform.md, *Bounds*).
    public var maxEvents = 1_000_000
    public var maxQueuedTasksPerEndpoint = 1000
    public var maxTasks = 100_000
    public var maxSessions = 1000
    public var maxRuns = 100_000
    public var maxAccounts = 1000
    public var maxEndpoints = 100_000
    /// OTLP/HTTP log export (docs/platform.md, *OTLP export*): the collector's base URL
    /// (nil: off), records per request, and the bounds of what waits in memory for it.
    public var otlpEndpoint: String?
    public var otlpBatchRecords = 512
    public var otlpMaxQueuedRecords = 100_000
    public var otlpMaxQueuedBytes = 67_108_864
    /// The config directory, where relative paths are resolved.
    public var directory = "."

    public init() {}

    /// The SQLite file's absolute path, when `database` is not a URL.
    public var sqlitePath: String? {
        guard !database.contains("://") else { return nil }
        return database.hasPrefix("/") ? database : "\(directory)/\(database)"
    }
}

/// One line naming the key: what is wrong and what would be right.
public struct PlatformSettingsError: Error, CustomStringConvertible, Equatable {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}
