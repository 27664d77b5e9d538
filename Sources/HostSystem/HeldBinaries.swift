import Foundation
import Synchronization
import TraceModel

/// The files a run probes, held open from the start's checks (functions, build, pins)
/// until its tracer has attached its probes, so that the tracer probes exactly the files
/// checked: its program names each by the endpoint's descriptor
/// (`uprobe:/proc/<endpoint pid>/fd/<n>:func`, which bpftrace 0.17 attaches to as that
/// very file) rather than by a path it would resolve again, later and from the host's
/// root, where a container or a file's owner could have redirected it meanwhile.
///
/// Bounded: one descriptor per distinct file a run probes, closed by `release()` once the
/// tracer reported its probes live or exited, whichever comes first, and in any case when
/// the last reference goes (a start refused after its checks).
public final class HeldBinaries: Sendable, Equatable {
    private struct Held {
        let name: String
        let file: BinaryFile
    }

    private let held = Mutex<[Held]>([])

    public init() {}

    /// Keeps `file` open as the file the run's program names `name` (a path as the target
    /// sees it, `/proc/<pid>/root/...`, or a host path).
    public func hold(_ file: BinaryFile, naming name: String) {
        held.withLock { held in
            guard !held.contains(where: { $0.name == name }) else { return }
            held.append(Held(name: name, file: file))
        }
    }

    /// The path the tracer is given for the file named `name`: nil when none is held by
    /// that name (or no longer).
    public func tracerPath(naming name: String) -> String? {
        held.withLock { held in held.first { $0.name == name }?.file.descriptorPath }
    }

    /// The names of the held files written to (or whose times were set) since they were
    /// opened and read: the build checked is no longer the build the tracer would probe.
    /// Blocks (`fstat`): call it off the concurrency pool.
    public func changedSinceChecked() -> [String] {
        held.withLock { held in held.filter { $0.file.currentVersion != $0.file.version }.map(\.name) }
    }

    /// How many descriptors are held.
    public var count: Int { held.withLock { $0.count } }

    /// Closes every descriptor: the tracer has its probes (or will never have them).
    public func release() {
        held.withLock { $0 = [] }
    }

    public static func == (lhs: HeldBinaries, rhs: HeldBinaries) -> Bool { lhs === rhs }
}
