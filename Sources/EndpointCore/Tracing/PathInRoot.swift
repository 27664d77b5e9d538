import Foundation

/// Opens a path as a process with another root sees it (a container's process, through
/// `/proc/<pid>/root`), resolving its symlinks inside that root. The kernel would resolve
/// an absolute symlink met below `/proc/<pid>/root` against the *endpoint's* root: a
/// container's `/bin/sh -> /usr/bin/dash` would name the host's dash. So each component
/// is looked at with `fstatat(AT_SYMLINK_NOFOLLOW)` from the root's descriptor, and a
/// link's target is followed by hand (an absolute one from the root again, `..` never
/// above it). The result names the file by a path without symlinks, which bpftrace can
/// be given below `/proc/<pid>/root` and reaches the same file by.
///
/// Blocking file work: run on a `BlockingWorkPool`'s threads.
public enum PathInRoot {
    /// Symlinks followed at most, as Linux's own path walk (ELOOP beyond 40).
    public static let maxLinks = 40

    public struct Opened {
        /// The file, open for the ELF reader.
        public let file: BinaryFile
        /// `path` inside the root with every symlink resolved (`/usr/bin/bash`).
        public let resolvedPath: String
    }

    /// `rootDirectory`: the root to resolve in (`/proc/<pid>/root`); `path`: absolute,
    /// as that root's processes name it.
    public static func open(_ path: String, rootDirectory: String) throws(ELFFunctionSymbols.ReadError) -> Opened {
        let root = Glibc.open(rootDirectory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard root >= 0 else {
            let code = errno
            throw code == ENOENT || code == ESRCH ? .missing : .unreadable(String(cString: strerror(code)))
        }
        defer { close(root) }
        var pending = Array(path.split(separator: "/").map(String.init).reversed())
        var resolved: [String] = []
        var links = 0
        while let component = pending.popLast() {
            if component == "." { continue }
            if component == ".." {
                _ = resolved.popLast()
                continue
            }
            let candidate = (resolved + [component]).joined(separator: "/")
            var info = stat()
            guard fstatat(root, candidate, &info, AT_SYMLINK_NOFOLLOW) == 0 else {
                let code = errno
                throw code == ENOENT || code == ENOTDIR ? .missing : .unreadable(String(cString: strerror(code)))
            }
            guard (info.st_mode & S_IFMT) == S_IFLNK else {
                resolved.append(component)
                continue
            }
            links += 1
            guard links <= maxLinks else { throw .unreadable("too many levels of symbolic links") }
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let count = readlinkat(root, candidate, &buffer, Int(PATH_MAX))
            guard count > 0 else { throw .unreadable(String(cString: strerror(errno))) }
            let target = String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if target.hasPrefix("/") { resolved = [] }
            pending.append(contentsOf: target.split(separator: "/").map(String.init).reversed())
        }
        let resolvedPath = "/" + resolved.joined(separator: "/")
        // The root's own kernel interfaces are no more programs than the host's.
        guard !BinaryFile.isKernelPath(resolvedPath) else { throw .kernelInterface }
        // Every component is a plain directory or file now: O_NOFOLLOW guards the last
        // against a symlink swapped in since; the others were looked at just before.
        let descriptor = openat(root, String(resolvedPath.dropFirst()), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW)
        guard descriptor >= 0 else { throw .unreadable(String(cString: strerror(errno))) }
        return Opened(file: try BinaryFile(openedDescriptor: descriptor), resolvedPath: resolvedPath)
    }
}
