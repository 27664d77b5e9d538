import Foundation
import Logging

/// `lambda-settings.yml`: tracers, platform, identity and limits.
/// Each key is documented in `Config/lambda-settings.yml` itself.
public struct LambdaSettings: Sendable {
    /// Password for `sudo -S`; nil when sudo needs none or the endpoint runs as root. Secret.
    public var rootPassword: String?
    public var bpfPath: String
    public var stapPath: String
    public var submitChunkSize: Int
    /// Base URL of the platform, without a trailing slash.
    public var platformURL: String
    /// Shared secret hashed into every Authorization header. Secret.
    public var secret: String
    public var endpointUUID: String
    public var traceDirectory: String
    public var maxLastingSeconds: Int
    /// Tracers allowed to run at once; more starts are answered 429.
    public var maxConcurrentRuns: Int
    /// Runs whose tracer exited but whose output the platform has not taken yet; more
    /// starts are answered 503 (each holds a row, buffers and, while sent, a descriptor).
    public var maxUndeliveredRuns: Int
    /// Templates the database may hold; a `PUT /trace` beyond it is answered 409.
    public var maxTemplates: Int
    /// Functions one template may list (each is a probe pair in the tracer program).
    public var maxFunctionsPerTemplate: Int
    /// Largest request body read; a larger one is answered 413 without being kept.
    public var maxBodyBytes: Int
    /// Trust roots (PEM) for an https `platform-url`; nil: the system's.
    public var platformCAFile: String?
    /// `GET /metrics` without authentication (for a scraper that cannot sign requests).
    public var metricsOpen: Bool
    /// Seconds between SIGINT, SIGTERM and SIGKILL when a tracer is stopped.
    public var killGraceSeconds: Int
    /// Seconds a SIGTERM'd endpoint keeps delivering before it exits.
    public var shutdownGraceSeconds: Int
    /// When set, a partial chunk is sent after this long without a full one.
    public var submitFlushInterval: Duration?
    /// Undelivered output the endpoint may hold on disk before it stops a run.
    public var maxSpoolBytes: Int64
    /// Keep run files after their `finished` was acknowledged.
    public var keepRunFiles: Bool
    /// First and longest pause between retries of a submit message.
    public var submitRetryInitial: Duration
    public var submitRetryMaximum: Duration
    public var auth: AuthSettings
    public var logLevel: Logger.Level

    public init(
        rootPassword: String? = nil,
        bpfPath: String = "/usr/bin/bpftrace",
        stapPath: String = "/usr/bin/stap",
        submitChunkSize: Int = 51200,
        platformURL: String,
        secret: String,
        endpointUUID: String,
        traceDirectory: String = "/tmp",
        maxLastingSeconds: Int = 86400,
        maxConcurrentRuns: Int = 16,
        maxUndeliveredRuns: Int = 64,
        maxTemplates: Int = 1000,
        maxFunctionsPerTemplate: Int = 128,
        maxBodyBytes: Int = LambdaSettings.defaultMaxBodyBytes,
        metricsOpen: Bool = false,
        platformCAFile: String? = nil,
        killGraceSeconds: Int = 5,
        shutdownGraceSeconds: Int = 10,
        submitFlushInterval: Duration? = nil,
        maxSpoolBytes: Int64 = 1 << 30,
        keepRunFiles: Bool = false,
        submitRetryInitial: Duration = .milliseconds(500),
        submitRetryMaximum: Duration = .seconds(30),
        auth: AuthSettings = AuthSettings(),
        logLevel: Logger.Level = .info
    ) {
        self.rootPassword = rootPassword
        self.bpfPath = bpfPath
        self.stapPath = stapPath
        self.submitChunkSize = submitChunkSize
        self.platformURL = platformURL
        self.secret = secret
        self.endpointUUID = endpointUUID
        self.traceDirectory = traceDirectory
        self.maxLastingSeconds = maxLastingSeconds
        self.maxConcurrentRuns = maxConcurrentRuns
        self.maxUndeliveredRuns = maxUndeliveredRuns
        self.maxTemplates = maxTemplates
        self.maxFunctionsPerTemplate = maxFunctionsPerTemplate
        self.maxBodyBytes = maxBodyBytes
        self.metricsOpen = metricsOpen
        self.platformCAFile = platformCAFile
        self.killGraceSeconds = killGraceSeconds
        self.shutdownGraceSeconds = shutdownGraceSeconds
        self.submitFlushInterval = submitFlushInterval
        self.maxSpoolBytes = maxSpoolBytes
        self.keepRunFiles = keepRunFiles
        self.submitRetryInitial = submitRetryInitial
        self.submitRetryMaximum = submitRetryMaximum
        self.auth = auth
        self.logLevel = logLevel
    }

    /// 1 MiB holds the largest template the rules allow (1024 functions of 512 bytes).
    public static let defaultMaxBodyBytes = 1 << 20
    /// Bodies are collected in memory before decoding: 64 MiB per request at most.
    public static let maxBodyBytesLimit = 64 << 20

    static let knownKeys: Set<String> = [
        "root-password", "bpf-path", "stap-path", "submit-chunk-size", "platform-url", "secret",
        "endpoint-uuid", "trace-dir", "max-lasting", "log-level", "max-concurrent-runs", "max-undelivered-runs", "kill-grace-seconds",
        "shutdown-grace-seconds", "submit-flush-interval", "max-spool-bytes", "keep-run-files",
        "submit-retry-initial", "submit-retry-max", "max-templates", "max-functions-per-template", "max-body-bytes", "metrics-open", "platform-ca-file",
        "auth-cache-size", "auth-max-concurrent-verifications", "auth-max-waiting-verifications",
        "auth-max-argon2-memory-kib", "auth-max-argon2-time-cost", "auth-max-argon2-parallelism",
    ]

    init(section: ConfigSection) throws(ConfigError) {
        self.rootPassword = try section.optionalString("root-password")
        self.bpfPath = try section.absolutePath("bpf-path", default: "/usr/bin/bpftrace")
        self.stapPath = try section.absolutePath("stap-path", default: "/usr/bin/stap")
        self.submitChunkSize = try section.int("submit-chunk-size", default: 51200, range: 1024...16_777_216, unit: "bytes")
        self.platformURL = try Self.platformURL(section: section)
        self.secret = try section.string("secret")
        self.endpointUUID = try section.string("endpoint-uuid")
        guard UUID(uuidString: endpointUUID) != nil else {
            throw section.error("endpoint-uuid", "expected a UUID such as 4633d686-f75d-4d1f-8415-02ce37d9e5f8, got \"\(endpointUUID)\"")
        }
        self.traceDirectory = try section.absolutePath("trace-dir", default: "/tmp")
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: traceDirectory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw section.error("trace-dir", "\"\(traceDirectory)\" is not an existing directory")
        }
        guard access(traceDirectory, W_OK) == 0 else {
            throw section.error("trace-dir", "\"\(traceDirectory)\" is not writable by this user")
        }
        self.maxLastingSeconds = try section.int("max-lasting", default: 86400, range: 1...31_536_000, unit: "seconds")
        self.maxConcurrentRuns = try section.int("max-concurrent-runs", default: 16, range: 1...1000)
        self.maxUndeliveredRuns = try section.int("max-undelivered-runs", default: 64, range: 1...10_000)
        self.maxTemplates = try section.int("max-templates", default: 1000, range: 1...1_000_000)
        self.metricsOpen = try section.bool("metrics-open", default: false)
        self.platformCAFile = try section.optionalString("platform-ca-file")
        if let caFile = platformCAFile {
            guard caFile.hasPrefix("/"), access(caFile, R_OK) == 0 else {
                throw section.error("platform-ca-file", "\"\(caFile)\" is not a readable file (an absolute path is required)")
            }
            guard platformURL.hasPrefix("https://") else {
                throw section.error("platform-ca-file", "is only used with an https:// platform-url")
            }
        }
        self.maxFunctionsPerTemplate = try section.int("max-functions-per-template", default: 128, range: 1...TemplateValidator.maxFunctionsLimit)
        self.maxBodyBytes = try section.int("max-body-bytes", default: Self.defaultMaxBodyBytes, range: 1024...Self.maxBodyBytesLimit, unit: "bytes")
        self.killGraceSeconds = try section.int("kill-grace-seconds", default: 5, range: 1...60, unit: "seconds")
        self.shutdownGraceSeconds = try section.int("shutdown-grace-seconds", default: 10, range: 0...600, unit: "seconds")
        let flushMilliseconds = try section.milliseconds("submit-flush-interval", default: 0, range: 50...3_600_000)
        self.submitFlushInterval = flushMilliseconds == 0 ? nil : .milliseconds(flushMilliseconds)
        self.maxSpoolBytes = Int64(try section.int("max-spool-bytes", default: 1 << 30, range: (1 << 20)...(1 << 40), unit: "bytes"))
        self.keepRunFiles = try section.bool("keep-run-files", default: false)
        let retryInitial = try section.milliseconds("submit-retry-initial", default: 500, range: 10...60_000)
        let retryMaximum = try section.milliseconds("submit-retry-max", default: 30_000, range: 10...3_600_000)
        guard retryInitial > 0, retryMaximum > 0 else {
            throw section.error(retryInitial == 0 ? "submit-retry-initial" : "submit-retry-max", "must be more than 0 seconds")
        }
        guard retryMaximum >= retryInitial else {
            throw section.error("submit-retry-max", "must be at least submit-retry-initial")
        }
        self.submitRetryInitial = .milliseconds(retryInitial)
        self.submitRetryMaximum = .milliseconds(retryMaximum)
        self.auth = try AuthSettings(section: section)
        let level = try section.string("log-level", default: "info")
        guard let logLevel = Logger.Level(rawValue: level) else {
            let names = Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")
            throw section.error("log-level", "expected one of \(names), got \"\(level)\"")
        }
        self.logLevel = logLevel
    }

    static func platformURL(section: ConfigSection) throws(ConfigError) -> String {
        let text = try section.string("platform-url")
        guard let components = URLComponents(string: text),
              let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = components.host, !host.isEmpty
        else {
            // The value is not quoted: a malformed URL may still carry credentials.
            throw section.error("platform-url", "expected an http:// or https:// URL with a host (the value is not repeated here: it may hold credentials)")
        }
        // Credentials in the URL would end up in logs; the Authorization header is the credential.
        guard components.user == nil, components.password == nil else {
            throw section.error("platform-url", "must not contain a user name or password")
        }
        guard components.query == nil, components.fragment == nil else {
            throw section.error("platform-url", "must not contain a query or fragment (the value is not repeated here: it may hold credentials)")
        }
        var url = text
        while url.hasSuffix("/") { url.removeLast() }
        return url
    }
}

extension AuthSettings {
    init(section: ConfigSection) throws(ConfigError) {
        self.cacheSize = try section.int("auth-cache-size", default: 1024, range: 0...1_000_000, unit: "entries")
        self.maxConcurrentVerifications = try section.int("auth-max-concurrent-verifications", default: 2, range: 1...64)
        self.maxWaitingVerifications = try section.int("auth-max-waiting-verifications", default: 64, range: 0...100_000)
        self.maxMemoryKiB = try section.int("auth-max-argon2-memory-kib", default: 65536, range: 8...4_194_304, unit: "KiB")
        self.maxTimeCost = try section.int("auth-max-argon2-time-cost", default: 10, range: 1...1000)
        self.maxParallelism = try section.int("auth-max-argon2-parallelism", default: 8, range: 1...255)
    }
}
