import CLinux

#if canImport(Glibc)
import Glibc
#endif

/// Reads a run file by offset into one buffer allocated for the whole delivery, so a
/// chunk costs one `pread` and no allocation (a resumed delivery starts at any offset).
final class RunFileReader {
    private let descriptor: Int32
    private let buffer: UnsafeMutableRawBufferPointer
    /// Bytes at the start of the file already given back to the file system.
    private var released: Int64 = 0
    private var releaseUnsupported = false

    /// `releasing`: the file is opened for writing too, so `release(before:)` can punch
    /// holes (only when run files are not kept).
    init(path: String, capacity: Int, releasing: Bool) throws {
        let descriptor = open(path, (releasing ? O_RDWR : O_RDONLY) | O_CLOEXEC | O_NOFOLLOW)
        guard descriptor >= 0 else { throw RunFileError.cannotOpen(path: path, reason: String(cString: strerror(errno))) }
        self.descriptor = descriptor
        self.buffer = .allocate(byteCount: capacity, alignment: 64)
    }

    deinit {
        buffer.deallocate()
        close(descriptor)
    }

    /// Exactly `length` bytes at `offset`, valid until the next call; throws when the
    /// file holds fewer (it only grows, so that means it was damaged).
    func read(offset: Int64, length: Int) throws -> UnsafeRawBufferPointer {
        precondition(length <= buffer.count)
        var done = 0
        while done < length {
            let count = pread(descriptor, buffer.baseAddress! + done, length - done, off_t(offset) + off_t(done))
            if count > 0 {
                done += count
            } else if count < 0 && errno == EINTR {
                continue
            } else {
                throw RunFileError.shortRead(offset: offset, expected: length, got: done)
            }
        }
        return UnsafeRawBufferPointer(rebasing: buffer[0..<length])
    }

    /// Gives the disk blocks of `[0, offset)` back to the file system, keeping the file's
    /// size (`FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE`): `max-spool-bytes` then bounds
    /// the disk a long run really holds, not only the endpoint's accounting. Only whole
    /// 64 KiB blocks, to keep the calls rare; a file system without hole punching (EOPNOTSUPP)
    /// just keeps the blocks until the run file is removed.
    func release(before offset: Int64) {
        let end = offset & ~Int64(Self.releaseGranule - 1)
        guard end > released, !releaseUnsupported else { return }
        if clinux_punch_hole(descriptor, off_t(released), off_t(end - released)) == 0 {
            released = end
        } else if errno == EOPNOTSUPP || errno == EBADF || errno == ENOSYS {
            releaseUnsupported = true
        }
    }

    static let releaseGranule = 64 * 1024
}

public enum RunFileError: Error, CustomStringConvertible {
    case cannotOpen(path: String, reason: String)
    case shortRead(offset: Int64, expected: Int, got: Int)

    public var description: String {
        switch self {
        case let .cannotOpen(path, reason): return "cannot open the run file \(path): \(reason)"
        case let .shortRead(offset, expected, got): return "run file shorter than recorded: wanted \(expected) bytes at \(offset), read \(got)"
        }
    }
}
