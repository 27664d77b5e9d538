import EndpointCore
import Foundation

/// What a start asks the supervisor to run, every check that needs no run already
/// passed (`StartRefusal` lists the ones that did not): a template, the tracer to run
/// it with, for how long, and on what target. Every run kind is one of these into the one run machinery.
public struct RunRequest: Sendable, Equatable {
    public var template: TraceTemplate
    public var tracer: TracerType
    public var lastingSeconds: Int
    /// The binary the run probes, as read at the start (nil: not read, as in tests of
    /// the supervisor alone).
    public var binary: TracedBinary?
    /// nil: the template's process on the host, as before targets.
    public var target: RunTarget?

    public init(template: TraceTemplate, tracer: TracerType, lastingSeconds: Int, binary: TracedBinary? = nil, target: RunTarget? = nil) {
        self.template = template
        self.tracer = tracer
        self.lastingSeconds = lastingSeconds
        self.binary = binary
        self.target = target
    }
}

/// A file a run probes and which build it was at the start.
public struct TracedBinary: Sendable, Equatable {
    public var path: String
    public var identity: BinaryIdentity
    /// The template recorded another build when it was stored (and pins none, else the
    /// start was refused).
    public var changedSinceStored: Bool

    public init(path: String, identity: BinaryIdentity, changedSinceStored: Bool) {
        self.path = path
        self.identity = identity
        self.changedSinceStored = changedSinceStored
    }

    /// `["binary", path, buildId, sha256]` (`StreamValueLine`, the build-id `null` when
    /// there is none): the line the endpoint writes into the stream right after `ready`.
    public var streamLine: [UInt8] {
        let quoted = StreamValueLine.quoted
        return Array(StreamValueLine.text(["\"binary\"", quoted(path), quoted(identity.buildId), quoted(identity.sha256)]).utf8)
    }
}

/// A started run, as `POST /trace/start` answers it.
public struct StartedRun: Sendable, Equatable {
    public var runNumber: Int
    public var filePath: String
}
