import Foundation
import GRDB
import PlatformWire
import TraceModel

/// One row of the `run` table: what a run is (its template, tracer, times, privilege)
/// and how its tracer ended; with its `DeliveryRecord`, everything needed to show a run
/// and, after a restart (even after SIGKILL), to resume its delivery.
public struct RunRecord: Codable, Equatable, Sendable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "run"

    public enum Columns {
        static let filePath = Column(CodingKeys.filePath)
        static let runNumber = Column(CodingKeys.runNumber)
        static let startedAt = Column(CodingKeys.startedAt)
        static let finishedAt = Column(CodingKeys.finishedAt)
    }

    public var filePath: String
    /// The number the API shows as `thread`: 1, 2, ... in start order, never reused.
    public var runNumber: Int
    /// For an analysis's run, the TEMPLATE keys its views show (`ValidatedAnalysis.template`).
    public var template: TraceTemplate
    /// The analysis the run runs (nil: the template's functions).
    public var analysis: RunAnalysis?
    public var tracer: String
    public var lastingSeconds: Int
    public var startedAt: Date
    public var deadline: Date
    public var privilege: String
    /// Bytes the tracer had written to the run file when it exited (nil while it runs).
    public var bytesWritten: Int64?
    public var exitCode: Int32?
    public var stderr: String?
    public var failure: String?
    /// When `finished` was acknowledged and the run retired (nil while undelivered).
    public var finishedAt: Date?
    /// `submit-chunk-size` when the run started (nil for runs recorded before v3).
    public var chunkSize: Int?
    /// The spawned tracer (or sudo) and its start time in clock ticks since boot
    /// (/proc/PID/stat field 22); nil until spawned.
    public var tracerPID: Int32?
    public var tracerStartTime: Int64?
    /// /proc/sys/kernel/random/boot_id when the tracer was spawned (nil for runs recorded
    /// before v9): the start time means something only within that boot.
    public var tracerBootID: String?
    /// The start the run came from, to relaunch it after a restart (nil: it asked not to
    /// be, or was recorded before v11).
    public var relaunch: RelaunchableStart?
    /// A targeted run's target as the status shows it (`{"target": ..., "resolved": ...}`),
    /// so that a run picked up after a restart still shows it (nil: untargeted). An
    /// object, not any `JSONValue`: GRDB reads a JSON column back through the type's
    /// single-value decoding when it has one, which made the stored object `false`.
    public var target: [String: JSONValue]?
    /// Times the run was relaunched after a restart, and the gaps those left.
    public var resumedCount: Int = 0
    public var gaps: [ResumeGap] = []
    /// A graceful stop ended the tracer for a relaunch at the next start: when, and the
    /// code it exited with (what `finished` carries if it is never relaunched).
    public var suspendedAt: Date?
    public var suspendedCode: Int32?
    /// The stderr of the tracers before the current one, each followed by the endpoint's
    /// note of how it ended: what `finished` carries before the last tracer's own.
    public var earlierStderr: String?

    public init(
        filePath: String,
        runNumber: Int,
        template: TraceTemplate,
        tracer: String,
        lastingSeconds: Int,
        startedAt: Date,
        deadline: Date,
        privilege: String,
        chunkSize: Int? = nil,
        analysis: RunAnalysis? = nil,
        relaunch: RelaunchableStart? = nil,
        target: [String: JSONValue]? = nil
    ) {
        self.relaunch = relaunch
        self.target = target
        self.analysis = analysis
        self.filePath = filePath
        self.runNumber = runNumber
        self.template = template
        self.tracer = tracer
        self.lastingSeconds = lastingSeconds
        self.startedAt = startedAt
        self.deadline = deadline
        self.privilege = privilege
        self.chunkSize = chunkSize
    }
}
