import EndpointConfig
import Foundation
import Submitter
import TraceModel

#if canImport(Glibc)
import Glibc
#endif

/// What the supervisor runs with, read from the settings.
extension RunSupervisor {
    public struct Settings: Sendable {
        public var traceDirectory: String
        public var bpfPath: String
        public var stapPath: String
        public var chunkSize: Int
        public var flushInterval: Duration?
        /// How long a short read of a tracer's stdout waits for more (`ChildProcess.drain`):
        /// `outputBatchLimit`, or the flush interval when that is shorter, so a live
        /// trace's flush is never held back by the batching.
        public var outputBatchWindow: Duration
        public var maxConcurrentRuns: Int
        public var maxUndeliveredRuns: Int
        public var killGrace: Duration
        /// Extra time past `lasting` before the endpoint stops a tracer whose own timer
        /// did not (the in-program timer is the first line).
        public var lastingSlack: Duration
        public var shutdownGrace: Duration
        public var historySize: Int
        public var maxSpoolBytes: Int64
        public var keepRunFiles: Bool
        /// `resume-runs` and `max-run-resumes` (docs/delivery.md, "Runs that outlive a restart").
        public var resumeRuns: Bool
        public var maxRunResumes: Int
        public var retryPolicy: RetryPolicy
        public var privilege: TracerPrivilege
        public var bpfLimits: TracerLimits = .bpftraceDefaults
        var tracerCaps = TracerCgroup.Caps(cpuPercent: 100, memoryMiB: 1024)

        /// 2 ms: at 13 MB/s of bpftrace lines that is 26 KB per batch, well inside the 64 KiB
        /// pipe a tracer run through sudo gets, and small beside the 2.85 ms an event takes
        /// to reach the platform.
        public static let outputBatchLimit: Duration = .milliseconds(2)

        public init(lambda: LambdaSettings, privilege: TracerPrivilege) {
            self.traceDirectory = lambda.traceDirectory
            self.bpfPath = lambda.bpfPath
            self.stapPath = lambda.stapPath
            self.chunkSize = lambda.submitChunkSize
            self.flushInterval = lambda.submitFlushInterval
            self.outputBatchWindow = min(Self.outputBatchLimit, lambda.submitFlushInterval ?? Self.outputBatchLimit)
            self.maxConcurrentRuns = lambda.maxConcurrentRuns
            self.maxUndeliveredRuns = lambda.maxUndeliveredRuns
            self.killGrace = .seconds(lambda.killGraceSeconds)
            self.lastingSlack = .seconds(2)
            self.shutdownGrace = .seconds(lambda.shutdownGraceSeconds)
            self.historySize = 100
            self.maxSpoolBytes = lambda.maxSpoolBytes
            self.keepRunFiles = lambda.keepRunFiles
            self.resumeRuns = lambda.resumeRuns
            self.maxRunResumes = lambda.maxRunResumes
            self.retryPolicy = RetryPolicy(initial: lambda.submitRetryInitial, maximum: lambda.submitRetryMaximum)
            self.privilege = privilege
            self.bpfLimits = lambda.bpfLimits
            self.tracerCaps = TracerCgroup.Caps(cpuPercent: lambda.tracerCPUPercent, memoryMiB: lambda.tracerMemoryMiB)
        }
    }
}
