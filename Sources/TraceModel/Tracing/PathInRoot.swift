import Foundation

/// Opens a path as a process with a given root sees it (the host's `/`, or a container's
/// through `/proc/<pid>/root`), one component at a time from a descriptor of the
/// directory before it, so that no lookup ever leaves the root: what `openat2`'s
/// `RESOLVE_IN_ROOT` does, without needing Linux 5.6.
///
/// Why not hand the kernel the whole path: below `/proc/<pid>/root` the kernel resolves an
/// absolute symlink against the *caller's* root, so a container's `/bin/sh ->
/// /usr/bin/dash` names the host's dash; and a path looked at once and opened later (by
/// bpftrace, say) can be redirected in between by whoever may write its directories (a
/// container swapping a directory for a symlink to `/`). Here every component is opened
/// with `O_PATH|O_NOFOLLOW` from the held descriptor of its parent: a symlink is opened as
/// itself, read (`readlinkat`) and followed by hand (an absolute one from the root again,
/// `..` never above it). Whatever is swapped meanwhile, the walk stays inside the root, and
/// the file opened is the one `resolvedPath` named at the moment it was reached. Only a
/// regular file is ever opened for reading (a device opened can act), by reopening its
/// `O_PATH` descriptor through `/proc/self/fd`, which names that very inode.
///
/// Blocking file work: run on a `BlockingWorkPool`'s threads.
public enum PathInRoot {
    /// Symlinks followed at most, as Linux's own path walk (ELOOP beyond 40).
    public static let maxLinks = 40
    /// Linux's `O_PATH` (the same value on every architecture Swift runs on): a descriptor
    /// that names a file without opening it (no permission needed, no device driver
    /// called). glibc declares it only under _GNU_SOURCE, which Swift's Glibc module does
    /// not set.
    static let pathOnly: Int32 = 0o10_000_000

    public struct Opened {
        /// The file, open for the ELF reader.
        public let file: BinaryFile
        /// `path` inside the root with every symlink resolved (`/usr/bin/bash`).
        public let resolvedPath: String
    }

    /// `rootDirectory`: the root to resolve in (`/proc/<pid>/root`, or `/`); `path`:
    /// absolute, as that root's processes name it.
    public static func open(_ path: String, rootDirectory: String) throws(ELFFunctionSymbols.ReadError) -> Opened {
        let (descriptor, resolvedPath) = try openDescriptor(path, rootDirectory: rootDirectory)
        return Opened(file: try BinaryFile(openedDescriptor: descriptor), resolvedPath: resolvedPath)
    }

    /// The walk: a descriptor open for reading on the regular file `path` names inside the
    /// root, and that name with every symlink resolved.
    static func openDescriptor(_ path: String, rootDirectory: String) throws(ELFFunctionSymbols.ReadError) -> (Int32, String) {
        let root = Glibc.open(rootDirectory, pathOnly | O_DIRECTORY | O_CLOEXEC)
        guard root >= 0 else {
            let code = errno
            throw code == ENOENT || code == ESRCH ? .missing : .unreadable(BinaryFile.describe(code))
        }
        // The directories walked through, root first: `..` goes back to the one before.
        var directories = [root]
        defer { for directory in directories { close(directory) } }
        var pending = Array(path.split(separator: "/").map(String.init).reversed())
        var resolved: [String] = []
        var links = 0
        while let component = pending.popLast() {
            if component == "." { continue }
            if component == ".." {
                if directories.count > 1 { close(directories.removeLast()) }
                _ = resolved.popLast()
                continue
            }
            let next = openat(directories[directories.count - 1], component, pathOnly | O_NOFOLLOW | O_CLOEXEC)
            guard next >= 0 else {
                let code = errno
                throw code == ENOENT || code == ENOTDIR ? .missing : .unreadable(BinaryFile.describe(code))
            }
            var info = stat()
            guard fstat(next, &info) == 0 else {
                let code = errno
                close(next)
                throw .unreadable(BinaryFile.describe(code))
            }
            switch info.st_mode & S_IFMT {
            case S_IFLNK:
                let target = readLink(next)
                close(next)
                links += 1
                guard links <= maxLinks else { throw .unreadable("too many levels of symbolic links") }
                guard let target, !target.isEmpty else { throw .unreadable("an unreadable symbolic link") }
                if target.hasPrefix("/") {
                    for directory in directories.dropFirst() { close(directory) }
                    directories = [root]
                    resolved = []
                }
                pending.append(contentsOf: target.split(separator: "/").map(String.init).reversed())
            case S_IFDIR:
                directories.append(next)
                resolved.append(component)
            default:
                resolved.append(component)
                guard pending.allSatisfy({ $0 == "." }) else {
                    close(next)
                    throw .missing
                }
                return try openForReading(next, info: info, resolvedPath: "/" + resolved.joined(separator: "/"))
            }
        }
        // The path ends in a directory (or is the root itself).
        throw BinaryFile.isKernelPath("/" + resolved.joined(separator: "/")) ? .kernelInterface : .notRegularFile
    }

    /// Turns the walk's last `O_PATH` descriptor into one open for reading, if it is a
    /// regular file outside the root's kernel interfaces; closes it either way.
    private static func openForReading(_ named: Int32, info: stat, resolvedPath: String) throws(ELFFunctionSymbols.ReadError) -> (Int32, String) {
        defer { close(named) }
        // The root's own kernel interfaces are no more programs than the host's.
        guard !BinaryFile.isKernelPath(resolvedPath) else { throw .kernelInterface }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw .notRegularFile }
        let descriptor = Glibc.open("/proc/self/fd/\(named)", O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)
        guard descriptor >= 0 else { throw .unreadable(BinaryFile.describe(errno)) }
        return (descriptor, resolvedPath)
    }

    /// The target of the symlink `descriptor` names (opened `O_PATH|O_NOFOLLOW`).
    private static func readLink(_ descriptor: Int32) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlinkat(descriptor, "", &buffer, Int(PATH_MAX))
        guard count >= 0 else { return nil }
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
