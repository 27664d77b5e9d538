import Foundation
import GRDB
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
        analysis: RunAnalysis? = nil
    ) {
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
