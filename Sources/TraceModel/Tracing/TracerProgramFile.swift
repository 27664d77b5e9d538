#if canImport(Glibc)
import Glibc
#endif

/// A tracer program written to a file of its own, which the tracer reads at start (see
/// `TracerInvocation`). Created exclusively (`O_EXCL|O_NOFOLLOW`, mode 0600) by the
/// endpoint's user: nobody else can have placed or replaced it, and root reads it through
/// sudo all the same. Lives beside the run file (`<trace-dir>/<uuid>.bt` or `.stp`) and
/// goes when the tracer has exited.
public struct TracerProgramFile: Sendable {
    public let path: String

    public struct WriteError: Error, CustomStringConvertible {
        public let path: String
        public let reason: String
        public var description: String { "\(path): \(reason)" }
    }

    /// The program file of the run whose output is `runFilePath` (`X.trace` -> `X.bt`).
    public static func path(forRun runFilePath: String, tracer: TracerType) -> String {
        let stem = runFilePath.hasSuffix(".trace") ? String(runFilePath.dropLast(".trace".count)) : runFilePath
        return stem + (tracer == .bpf ? ".bt" : ".stp")
    }

    public init(writing program: String, to path: String) throws(WriteError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw WriteError(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        let failure = Array(program.utf8).withUnsafeBytes { writeAll(fd, $0).failure }
        if let failure {
            unlink(path)
            throw WriteError(path: path, reason: failure)
        }
        self.path = path
    }

    public func remove() { unlink(path) }
}
