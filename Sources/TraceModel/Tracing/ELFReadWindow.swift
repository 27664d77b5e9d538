/// One fixed buffer over a source: small reads are served from it, and it is refilled
/// with one `read` at the offset asked for when they fall outside it. It never grows.
///
/// A refill reads ahead no further than `readAheadEnd`, the end of the table being
/// read: a crafted file of many tiny tables far apart then costs the tables' bytes,
/// not a full window each.
final class ReadWindow {
    let source: any ELFByteSource
    let buffer: UnsafeMutableRawBufferPointer
    var readAheadEnd: Int
    private var start = 0
    private var count = 0

    init(_ source: any ELFByteSource, capacity: Int) {
        self.source = source
        self.buffer = .allocate(byteCount: capacity, alignment: 8)
        self.readAheadEnd = source.size
    }

    deinit {
        buffer.deallocate()
    }

    /// The `needed` bytes at `offset`, valid until the next call.
    func bytes(at offset: Int, count needed: Int) throws(ELFFunctionSymbols.ReadError) -> UnsafeRawBufferPointer {
        guard offset >= 0, needed <= buffer.count, needed <= source.size - offset else { throw .truncated }
        if offset < start || offset - start > count - needed {
            let length = min(buffer.count, source.size - offset, max(needed, readAheadEnd - offset))
            start = offset
            count = 0
            try source.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<length]), at: offset)
            count = length
        }
        return UnsafeRawBufferPointer(rebasing: buffer[(offset - start)..<(offset - start + needed)])
    }

    func integer<T: FixedWidthInteger>(_: T.Type, at offset: Int) throws(ELFFunctionSymbols.ReadError) -> T {
        T(littleEndian: try bytes(at: offset, count: MemoryLayout<T>.size).loadUnaligned(as: T.self))
    }

    /// A 64-bit offset or size field, which is only meaningful within the file.
    func position(at offset: Int) throws(ELFFunctionSymbols.ReadError) -> Int {
        let value = try integer(UInt64.self, at: offset)
        guard value <= UInt64(source.size) else { throw .truncated }
        return Int(value)
    }
}
