#if canImport(Glibc)
import Glibc
#endif

/// Writes all of `bytes` to `descriptor`, resuming after short writes and EINTR.
/// Returns how much was written and, when it stopped early (disk full, I/O error), why.
public func writeAll(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) -> (written: Int, failure: String?) {
    var written = 0
    while written < bytes.count {
        let result = write(descriptor, bytes.baseAddress! + written, bytes.count - written)
        if result > 0 {
            written += result
        } else if result < 0 && errno == EINTR {
            continue
        } else {
            return (written, String(cString: strerror(result < 0 ? errno : EIO)))
        }
    }
    return (written, nil)
}
