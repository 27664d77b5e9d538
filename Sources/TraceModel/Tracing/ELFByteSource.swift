import Foundation

/// Where the ELF reader takes its bytes from: a template's binary read with `pread`
/// (`BinaryFile`), or bytes in memory (`ELFBytes`: tests and the fuzzer, which must
/// drive the reader without touching the file system).
///
/// The reader asks for at most `ELFFunctionSymbols.maxReadBytes` at a time, always
/// within `size`, into buffers of its own fixed budget.
public protocol ELFByteSource {
    /// The length the source had when it was opened; the reader never asks beyond it.
    var size: Int { get }

    /// Fills `buffer` with the bytes at `offset`. A source that now holds fewer bytes
    /// than `size` (a file truncated or replaced while read) throws
    /// `.changedWhileReading`; an I/O error throws `.unreadable`.
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws(ELFFunctionSymbols.ReadError)
}

/// Bytes in memory as an ELF source. What the reader asks of it is counted, so tests
/// and the fuzzer can hold the reader to its budget.
public final class ELFBytes: ELFByteSource {
    public let bytes: Data
    /// Bytes copied out so far, and the largest single read.
    public private(set) var bytesRead = 0
    public private(set) var largestRead = 0

    public init(_ bytes: Data) {
        self.bytes = bytes
    }

    public var size: Int { bytes.count }

    public func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws(ELFFunctionSymbols.ReadError) {
        guard offset >= 0, buffer.count <= bytes.count - offset else { throw .changedWhileReading }
        bytesRead += buffer.count
        largestRead = max(largestRead, buffer.count)
        let start = bytes.startIndex + offset
        bytes.copyBytes(to: buffer, from: start..<(start + buffer.count))
    }
}
