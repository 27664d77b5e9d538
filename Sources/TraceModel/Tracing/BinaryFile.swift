import Foundation

/// A template's `process` opened for the ELF reader, with the care a path chosen by a
/// client needs: the endpoint reads it as its own user, and any local user who can
/// write a file (in /tmp, say) or make a FIFO picks what it is.
///
/// - Kernel interfaces are refused before anything is opened: `/proc`, `/sys` and
///   `/dev`, by the path as given and as resolved (a symlink into them). Their
///   files lie about their size (st_size 0 or 4096), can block, and opening a device can
///   act (a watchdog, a tape). procfs mounted elsewhere (a container's `/host/proc`)
///   has files of size 0, refused as empty; sysfs files are not ELF. (`fstatfs` would
///   name the file system, but Swift's Glibc module does not export it.)
/// - The path is walked one component at a time from the root (`PathInRoot`): a symlink
///   or directory swapped in while it is walked cannot make it open something else than
///   the file its resolved path names, and only a regular file is opened for reading, then
///   without blocking and without becoming a controlling terminal
///   (`O_RDONLY|O_NONBLOCK|O_CLOEXEC|O_NOCTTY`); the descriptor is checked again with
///   `fstat`.
/// - Bytes are read with `pread` into the reader's buffers, never mapped: a file
///   truncated while mapped kills the daemon with SIGBUS, a file truncated while read
///   here is a `.changedWhileReading` error. (`pread` on the one descriptor is safe from
///   any thread, and nothing else changes: hence `Sendable`.)
public final class BinaryFile: ELFByteSource, Sendable {
    /// Directories of kernel interfaces, never programs.
    public static let kernelDirectories = ["/proc", "/sys", "/dev"]

    public let size: Int
    /// The file's identity: two paths name the same file when both are equal.
    public let device: UInt64
    public let inode: UInt64
    /// Which file this is and which version of it: what `BinaryIdentity`'s cache keys on.
    public let version: FileVersion
    private let descriptor: Int32

    /// Device, inode, size, modification and status-change times of an open file: a
    /// binary replaced (new inode) or rewritten in place is another version. The change
    /// time matters: the owner of a file can set its mtime back after writing into it
    /// (`touch -d`, `utimensat`), but every write and every time set moves its ctime to
    /// now, which nobody but the kernel sets.
    public struct FileVersion: Hashable, Sendable {
        public let device: UInt64
        public let inode: UInt64
        public let size: Int64
        public let modifiedSeconds: Int64
        public let modifiedNanoseconds: Int64
        public let changedSeconds: Int64
        public let changedNanoseconds: Int64

        init(_ info: stat) {
            device = UInt64(info.st_dev)
            inode = UInt64(info.st_ino)
            size = Int64(info.st_size)
            modifiedSeconds = Int64(info.st_mtim.tv_sec)
            modifiedNanoseconds = Int64(info.st_mtim.tv_nsec)
            changedSeconds = Int64(info.st_ctim.tv_sec)
            changedNanoseconds = Int64(info.st_ctim.tv_nsec)
        }
    }

    /// Opens `path` on the host (`PathInRoot` with the root `/`). Kernel interfaces are
    /// refused by the path as given before anything is looked at, and by the resolved path
    /// before anything is opened.
    public convenience init(path: String) throws(ELFFunctionSymbols.ReadError) {
        guard !Self.isKernelPath(path) else { throw .kernelInterface }
        try self.init(openedDescriptor: try PathInRoot.openDescriptor(path, rootDirectory: "/").0)
    }

    /// A descriptor opened with the care above (here or by `PathInRoot`), checked again
    /// (the path may have been replaced in between: a FIFO renamed over the file must
    /// not block a read) to be a non-empty regular file, and owned (closed) from now on,
    /// also when refused.
    init(openedDescriptor descriptor: Int32) throws(ELFFunctionSymbols.ReadError) {
        var info = stat()
        do throws(ELFFunctionSymbols.ReadError) {
            guard fstat(descriptor, &info) == 0 else { throw .unreadable(Self.describe(errno)) }
            guard (info.st_mode & S_IFMT) == S_IFREG else { throw .notRegularFile }
            guard info.st_size > 0 else { throw .empty }
        } catch {
            close(descriptor)
            throw error
        }
        self.descriptor = descriptor
        self.size = Int(info.st_size)
        self.device = UInt64(info.st_dev)
        self.inode = UInt64(info.st_ino)
        self.version = FileVersion(info)
    }

    /// The version the open file is now (nil if `fstat` fails): another than `version` when
    /// it was written to, truncated or had its times set since it was opened.
    public var currentVersion: FileVersion? {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { return nil }
        return FileVersion(info)
    }

    /// A path that names exactly this open file for as long as it stays open, whatever
    /// happens to the path it was opened by: its entry in the endpoint's
    /// `/proc/<pid>/fd`, which root (the tracer) can open.
    public var descriptorPath: String { "/proc/\(getpid())/fd/\(descriptor)" }

    deinit {
        close(descriptor)
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws(ELFFunctionSymbols.ReadError) {
        guard let base = buffer.baseAddress else { return }
        var done = 0
        while done < buffer.count {
            let count = pread(descriptor, base + done, buffer.count - done, off_t(offset + done))
            if count < 0 {
                if errno == EINTR { continue }
                throw .unreadable(Self.describe(errno))
            }
            // Fewer bytes than when the file was opened: it was truncated since.
            guard count > 0 else { throw .changedWhileReading }
            done += count
        }
    }

    static func isKernelPath(_ path: String) -> Bool {
        kernelDirectories.contains { path == $0 || path.hasPrefix($0 + "/") }
    }

    static func describe(_ code: Int32) -> String {
        String(cString: strerror(code))
    }
}
