import Foundation
import GRDB

/// One row of the `run` table: everything needed to show a run and, after a restart
/// (even after SIGKILL), to resume its delivery from the first unacknowledged chunk.
public struct RunRecord: Codable, Equatable, Sendable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "run"

    public var filePath: String
    public var thread: Int
    public var template: TraceTemplate
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
    public var startAcknowledged: Bool
    public var chunksAcknowledged: Int
    public var bytesAcknowledged: Int64
    public var finishedAcknowledged: Bool
    public var retries: Int
    public var refusedMessages: Int
    public var lastError: String?
    public var finishedAt: Date?
    /// `submit-chunk-size` when the run started (nil for runs recorded before v3).
    public var chunkSize: Int?
    /// The spawned tracer (or sudo) and its start time in clock ticks since boot
    /// (/proc/PID/stat field 22); nil until spawned.
    public var tracerPID: Int32?
    public var tracerStartTime: Int64?
    /// The platform's last HTTP status for this run's messages.
    public var lastStatus: Int?
    /// Set while a short chunk is on its way (see `DeliveryCursor.shortChunkLength`).
    public var shortChunkLength: Int?

    public init(
        filePath: String, thread: Int, template: TraceTemplate, tracer: String, lastingSeconds: Int, startedAt: Date, deadline: Date, privilege: String,
        chunkSize: Int? = nil
    ) {
        self.filePath = filePath
        self.thread = thread
        self.template = template
        self.tracer = tracer
        self.lastingSeconds = lastingSeconds
        self.startedAt = startedAt
        self.deadline = deadline
        self.privilege = privilege
        self.chunkSize = chunkSize
        self.startAcknowledged = false
        self.chunksAcknowledged = 0
        self.bytesAcknowledged = 0
        self.finishedAcknowledged = false
        self.retries = 0
        self.refusedMessages = 0
    }
}
