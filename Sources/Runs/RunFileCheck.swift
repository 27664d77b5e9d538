import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// What a restarted endpoint may do with a run file whose path it read back from the
/// database. The path is trusted only as a regular file directly inside trace-dir: a
/// database changed behind the endpoint's back (or a trace-dir changed in the settings)
/// must not make it read, send or unlink any other file.
struct RunFileCheck {
    /// Bytes the file holds (what is left to send ends there).
    let size: Int64
    /// Why the file cannot be used, for `finished.stderr`; nil when it can.
    let problem: String?
    /// The path names a file of trace-dir (it may still be missing or short).
    let isInsideTraceDirectory: Bool
    /// When the file was last written: after the endpoint died, the end of the output
    /// kept (nil when it cannot be used).
    private(set) var modified: Date?

    init(path: String, traceDirectory: String, bytesAcknowledged: Int64) {
        var directory = traceDirectory
        while directory.count > 1, directory.hasSuffix("/") { directory.removeLast() }
        let name = path.hasPrefix(directory + "/") ? String(path.dropFirst(directory.count + 1)) : ""
        isInsideTraceDirectory = !name.isEmpty && !name.contains("/") && name != "." && name != ".." && name.hasSuffix(".trace")
        guard isInsideTraceDirectory else {
            (size, problem) = (
                0, "the run file path recorded in the database is outside trace-dir \(directory); nothing of it was read, sent or removed"
            )
            return
        }
        var info = stat()
        guard lstat(path, &info) == 0 else {
            (size, problem) = (
                0,
                "the run file is missing after the restart (\(String(cString: strerror(errno)))); output after byte \(bytesAcknowledged) could not be sent"
            )
            return
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            (size, problem) = (0, "the run file is not a regular file any more (a symlink or special file); nothing of it was read")
            return
        }
        size = Int64(info.st_size)
        modified = Date(timeIntervalSince1970: TimeInterval(info.st_mtim.tv_sec) + TimeInterval(info.st_mtim.tv_nsec) / 1e9)
        problem =
            size < bytesAcknowledged
            ? "the run file is shorter than the \(bytesAcknowledged) bytes already acknowledged (\(size) bytes); nothing more was sent"
            : nil
    }
}
