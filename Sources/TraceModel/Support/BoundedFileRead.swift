import Foundation

/// Reads a whole small file, but never more than a bound: the files the container
/// inventory reads are written by others (a runtime's `config.v2.json` holds what a
/// container's creator put in its labels and environment), and `/proc` files report a
/// size of 0, so the size cannot be trusted and the bound is what keeps memory in check.
///
/// Opened without blocking and without becoming a controlling terminal
/// (`O_NONBLOCK|O_NOCTTY`), and only read when `fstat` says it is a regular file: a FIFO
/// put where a file was expected must not hang the reading thread.
public enum BoundedFileRead {
    public enum Failure: Error, Equatable, Sendable {
        /// `open` or `read` failed with this errno (ENOENT, ESRCH for a process that
        /// went away meanwhile, EACCES...).
        case failed(errno: Int32)
        /// Not a regular file (a directory, FIFO, socket or device).
        case notRegularFile
        /// More than the bound: nothing of it is returned.
        case tooLarge
    }

    /// The file's bytes when there are at most `maxBytes`.
    public static func bytes(at path: String, maxBytes: Int) -> Result<[UInt8], Failure> {
        let descriptor = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)
        guard descriptor >= 0 else { return .failure(.failed(errno: errno)) }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { return .failure(.failed(errno: errno)) }
        guard (info.st_mode & S_IFMT) == S_IFREG else { return .failure(.notRegularFile) }
        // One byte more than allowed tells a file of exactly `maxBytes` from a larger one.
        var buffer = [UInt8](repeating: 0, count: maxBytes + 1)
        var filled = 0
        while filled < buffer.count {
            let count = buffer.withUnsafeMutableBytes { raw in
                read(descriptor, raw.baseAddress! + filled, raw.count - filled)
            }
            if count < 0 {
                if errno == EINTR { continue }
                return .failure(.failed(errno: errno))
            }
            if count == 0 { break }
            filled += count
        }
        guard filled <= maxBytes else { return .failure(.tooLarge) }
        buffer.removeSubrange(filled...)
        return .success(buffer)
    }

    /// The file as UTF-8 text (invalid bytes replaced), when it is at most `maxBytes`.
    public static func text(at path: String, maxBytes: Int) -> Result<String, Failure> {
        bytes(at: path, maxBytes: maxBytes).map { String(decoding: $0, as: UTF8.self) }
    }
}
