import Credentials
import Foundation
import Logging
import PlatformWire
import TraceModel

/// `lambda-settings.yml`: tracers, platform, identity and limits.
/// Each key is defined in `definitions` (its name, default, bounds and meaning) and
/// documented in `Config/lambda-settings.yml` itself.
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
    /// Where tracefs is mounted; an analysis is available when its tracepoints are in its
    /// `events/` directory (`TracingHost`).
    public var tracefsPath: String
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
    /// Every authenticated request must carry a `Lambda-Signature` that verifies.
    public var requireSignedRequests: Bool
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
    /// `resume-runs` and `max-run-resumes` (docs/delivery.md, "Runs that outlive a restart").
    public var resumeRuns: Bool
    public var maxRunResumes: Int
    /// bpftrace's limits for every run (a template's own values win).
    public var bpfLimits: TracerLimits
    /// Pull mode (docs/fleet.md): who drives the endpoint, how it describes
    /// itself, how often it registers and how long one poll waits.
    public var control: ControlMode
    public var labels: [String: String]
    public var registerIntervalSeconds: Int
    public var pollWaitSeconds: Int
    /// The record of executed tasks and the result outbox: stored result bytes, and the
    /// 404 answers after which a result is dropped.
    public var taskResultsMaxBytes: Int64
    public var taskResultNotFoundLimit: Int
    /// The event outbox's bound (docs/fleet.md, "Events").
    public var maxPendingEvents: Int
    /// The event-rate bound of every bpftrace run (a start may ask for a lower rate).
    public var maxEventsPerSecond: Int
    public var rateLimitSeconds: Int
    public var rateLimitWindowSeconds: Int
    /// Caps of each tracer's own cgroup: percent of one core, MiB.
    public var tracerCPUPercent: Int
    public var tracerMemoryMiB: Int
    /// What `GET /containers` reads (`ContainerInventory.Locations`): procfs, the cgroup v2
    /// mount (nil: from procfs's mount table), the kubelet's log links, Docker's data root.
    public var procRoot: String
    public var cgroupV2Mount: String?
    public var containerLogDirectory: String
    public var dockerDataRoot: String
    /// Targets (containers, a pid, a cgroup) one start may match; beyond it the start is 400.
    public var maxTargetsPerRun: Int
    /// First and longest pause between retries of a submit message.
    public var submitRetryInitial: Duration
    public var submitRetryMaximum: Duration
    public var auth: AuthSettings
    public var logLevel: Logger.Level

    /// The settings of a file that gives only the three required keys, every other key
    /// at its default: read and checked as that file would be (so `trace-dir`, /tmp, must
    /// exist). For tests and embedders, who then change the `var`s they need.
    public static func defaults(platformURL: String, secret: String, endpointUUID: String) throws(ConfigError) -> LambdaSettings {
        let table = definitions
        let file = ConfigValue.mapping([
            (table.platformURL.key, .scalar(platformURL)), (table.secret.key, .scalar(secret)), (table.endpointUUID.key, .scalar(endpointUUID)),
        ])
        return try LambdaSettings(section: ConfigSection(file: "LambdaSettings.defaults", value: file, environment: [:]))
    }

    init(section: ConfigSection) throws(ConfigError) {
        let table = Self.definitions
        self.rootPassword = try section.read(table.rootPassword)
        self.bpfPath = try section.read(table.bpfPath)
        self.stapPath = try section.read(table.stapPath)
        self.submitChunkSize = try section.read(table.submitChunkSize)
        self.platformURL = try Self.platformURL(section: section)
        self.secret = try section.read(table.secret)
        self.endpointUUID = try section.read(table.endpointUUID)
        guard UUID(uuidString: endpointUUID) != nil else {
            throw section.error(table.endpointUUID, "expected a UUID such as 4633d686-f75d-4d1f-8415-02ce37d9e5f8, got \"\(endpointUUID)\"")
        }
        self.traceDirectory = try section.read(table.traceDirectory)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: traceDirectory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw section.error(table.traceDirectory, "\"\(traceDirectory)\" is not an existing directory")
        }
        guard access(traceDirectory, W_OK) == 0 else {
            throw section.error(table.traceDirectory, "\"\(traceDirectory)\" is not writable by this user")
        }
        self.tracefsPath = try section.read(table.tracefsPath)
        self.maxLastingSeconds = try section.read(table.maxLastingSeconds)
        self.maxConcurrentRuns = try section.read(table.maxConcurrentRuns)
        self.maxUndeliveredRuns = try section.read(table.maxUndeliveredRuns)
        self.maxTemplates = try section.read(table.maxTemplates)
        self.metricsOpen = try section.read(table.metricsOpen)
        self.requireSignedRequests = try section.read(table.requireSignedRequests)
        self.platformCAFile = try section.read(table.platformCAFile)
        if let caFile = platformCAFile {
            guard caFile.hasPrefix("/"), access(caFile, R_OK) == 0 else {
                throw section.error(table.platformCAFile, "\"\(caFile)\" is not a readable file (an absolute path is required)")
            }
            guard platformURL.hasPrefix("https://") else {
                throw section.error(table.platformCAFile, "is only used with an https:// \(table.platformURL.key)")
            }
        }
        self.maxFunctionsPerTemplate = try section.read(table.maxFunctionsPerTemplate)
        self.maxBodyBytes = try section.read(table.maxBodyBytes)
        self.killGraceSeconds = try section.read(table.killGraceSeconds)
        self.shutdownGraceSeconds = try section.read(table.shutdownGraceSeconds)
        let flushMilliseconds = try section.read(table.submitFlushInterval)
        self.submitFlushInterval = flushMilliseconds == 0 ? nil : .milliseconds(flushMilliseconds)
        self.maxSpoolBytes = Int64(try section.read(table.maxSpoolBytes))
        self.keepRunFiles = try section.read(table.keepRunFiles)
        self.resumeRuns = try section.read(table.resumeRuns)
        self.maxRunResumes = try section.read(table.maxRunResumes)
        self.control = try section.read(table.control)
        self.labels = try section.read(table.labels)
        self.registerIntervalSeconds = try section.read(table.registerIntervalSeconds)
        self.pollWaitSeconds = try section.read(table.pollWaitSeconds)
        self.taskResultsMaxBytes = Int64(try section.read(table.taskResultsMaxBytes))
        self.taskResultNotFoundLimit = try section.read(table.taskResultNotFoundLimit)
        self.maxPendingEvents = try section.read(table.maxPendingEvents)
        self.maxEventsPerSecond = try section.read(table.maxEventsPerSecond)
        self.rateLimitSeconds = try section.read(table.rateLimitSeconds)
        self.rateLimitWindowSeconds = try section.read(table.rateLimitWindowSeconds)
        guard rateLimitSeconds <= rateLimitWindowSeconds else {
            throw section.error(
                table.rateLimitSeconds,
                "must be at most \(table.rateLimitWindowSeconds.key) (\(rateLimitWindowSeconds)), got \(rateLimitSeconds)"
            )
        }
        self.tracerCPUPercent = try section.read(table.tracerCPUPercent)
        self.tracerMemoryMiB = try section.read(table.tracerMemoryMiB)
        self.bpfLimits = TracerLimits(
            mapKeysMax: try section.read(table.bpfMapKeysMax),
            maxProbes: try section.read(table.bpfMaxProbes),
            stringLength: try section.read(table.bpfStringLength)
        )
        self.procRoot = try section.read(table.procRoot)
        self.cgroupV2Mount = try section.read(table.cgroupV2Mount)
        self.containerLogDirectory = try section.read(table.containerLogDirectory)
        self.dockerDataRoot = try section.read(table.dockerDataRoot)
        self.maxTargetsPerRun = try section.read(table.maxTargetsPerRun)
        let retryInitial = try section.read(table.submitRetryInitial)
        let retryMaximum = try section.read(table.submitRetryMaximum)
        guard retryInitial > 0, retryMaximum > 0 else {
            throw section.error(retryInitial == 0 ? table.submitRetryInitial : table.submitRetryMaximum, "must be more than 0 seconds")
        }
        guard retryMaximum >= retryInitial else {
            throw section.error(table.submitRetryMaximum, "must be at least \(table.submitRetryInitial.key)")
        }
        self.submitRetryInitial = .milliseconds(retryInitial)
        self.submitRetryMaximum = .milliseconds(retryMaximum)
        self.auth = try AuthSettings(section: section)
        let level = try section.read(table.logLevel)
        guard let logLevel = Logger.Level(rawValue: level) else {
            let names = Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")
            throw section.error(table.logLevel, "expected one of \(names), got \"\(level)\"")
        }
        self.logLevel = logLevel
    }

    static func platformURL(section: ConfigSection) throws(ConfigError) -> String {
        let setting = definitions.platformURL
        let text = try section.read(setting)
        guard let components = URLComponents(string: text),
            let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = components.host, !host.isEmpty
        else {
            // The value is not quoted: a malformed URL may still carry credentials.
            throw section.error(setting, "expected an http:// or https:// URL with a host (the value is not repeated here: it may hold credentials)")
        }
        // Credentials in the URL would end up in logs; the Authorization header is the credential.
        guard components.user == nil, components.password == nil else {
            throw section.error(setting, "must not contain a user name or password")
        }
        guard components.query == nil, components.fragment == nil else {
            throw section.error(setting, "must not contain a query or fragment (the value is not repeated here: it may hold credentials)")
        }
        var url = text
        while url.hasSuffix("/") { url.removeLast() }
        return url
    }
}
