#if canImport(Glibc)
import Glibc
#endif

/// Reads a run file by offset into one buffer allocated for the whole delivery, so a
/// chunk costs one `pread` and no allocation (a resumed delivery starts at any offset).
final class RunFileReader {
    private let descriptor: Int32
    private let buffer: UnsafeMutableRawBufferPointer

    init(path: String, capacity: Int) throws {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
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
