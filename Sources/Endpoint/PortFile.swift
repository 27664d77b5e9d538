import TraceModel

#if canImport(Glibc)
import Glibc
#endif

/// `serve --port-file FILE`: the port the server bound, as decimal digits and a newline,
/// for whoever started the endpoint on `port: 0` (tests, `scripts/check-openapi.sh`,
/// `Bench/bench.py`) instead of reading it out of the log.
///
/// Written to `FILE.tmp` beside it and renamed over `FILE`, so a reader polling for
/// `FILE` never sees it empty or half written. The temporary file is created afresh
/// (`O_EXCL`, `O_NOFOLLOW`, mode 0600) after removing any leftover: the endpoint may
/// run as root, and in a shared directory such as /tmp another user could have put a
/// symlink at `FILE.tmp` to make it truncate a file of its choosing.
struct PortFile {
    let path: String
    var temporaryPath: String { path + ".tmp" }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Before anything starts: a path that cannot be written (no such directory, no
    /// permission, read-only file system, a directory at FILE) stops start-up with one
    /// line, rather than after the endpoint has begun to take requests.
    func checkWritable() throws {
        var info = stat()
        if stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR {
            throw Failure(description: "\(path) is a directory")
        }
        let descriptor = try createTemporary()
        close(descriptor)
        unlink(temporaryPath)
    }

    /// Once the server is bound: writes `port` and renames it into place.
    func write(port: Int) throws {
        let descriptor = try createTemporary()
        let text = Array("\(port)\n".utf8)
        let failure = text.withUnsafeBytes { writeAll(descriptor, $0).failure }
        close(descriptor)
        if let failure {
            unlink(temporaryPath)
            throw Failure(description: "cannot write \(temporaryPath): \(failure)")
        }
        guard rename(temporaryPath, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporaryPath)
            throw Failure(description: "cannot rename \(temporaryPath) to \(path): \(reason)")
        }
    }

    private func createTemporary() throws -> Int32 {
        unlink(temporaryPath)
        let descriptor = open(temporaryPath, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw Failure(description: "cannot create \(temporaryPath): \(String(cString: strerror(errno)))")
        }
        // The umask can only take permissions away; 0600 exactly either way.
        fchmod(descriptor, 0o600)
        return descriptor
    }
}
