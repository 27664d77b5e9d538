import Foundation

/// The function names an ELF binary defines in `.symtab` and `.dynsym`: what bpftrace
/// and SystemTap can attach a uprobe to by name.
///
/// Why read ELF ourselves: bpftrace silently drops a missing function when another
/// one exists, and `bpftrace -l` needs root; reading the symbol tables needs only read
/// access to the binary and no tracer.
public struct ELFFunctionSymbols: Sendable {
    public let names: Set<String>

    public enum ReadError: Error, Equatable, CustomStringConvertible {
        case unreadable(String)
        case notELF
        case unsupported(String)
        case truncated

        public var description: String {
            switch self {
            case .unreadable(let reason): return "cannot be read by the endpoint (\(reason))"
            case .notELF: return "is not an ELF binary"
            case .unsupported(let what): return "is an unsupported ELF file (\(what))"
            case .truncated: return "is a truncated or corrupt ELF file"
            }
        }
    }

    /// Section header types and symbol fields of ELF64 (see elf.h).
    private static let sectionSymbolTable: UInt32 = 2, sectionDynamicSymbols: UInt32 = 11
    private static let symbolFunction: UInt8 = 2, symbolIndirectFunction: UInt8 = 10

    /// The file is memory-mapped, not read into memory, so large binaries cost no RAM.
    public init(path: String) throws(ReadError) {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        } catch {
            throw .unreadable((error as NSError).localizedDescription)
        }
        try self.init(data: data)
    }

    public init(data: Data) throws(ReadError) {
        guard data.count >= 64, data.prefix(4).elementsEqual([0x7F, 0x45, 0x4C, 0x46]) else { throw .notELF }
        guard data[data.startIndex + 4] == 2 else { throw .unsupported("32-bit") }
        guard data[data.startIndex + 5] == 1 else { throw .unsupported("big-endian") }
        // Every offset and size read from the file is at most the file's length (else
        // the file is truncated or hostile) and every count is 16 or 32 bits, so no sum
        // or product below can overflow: an arbitrary file chosen as `process` by a
        // local user must never trap the daemon.
        let reader = LittleEndianReader(data: data)
        let sectionOffset = try reader.position(at: 0x28)
        let sectionEntrySize = Int(try reader.integer(UInt16.self, at: 0x3A))
        let sectionCount = Int(try reader.integer(UInt16.self, at: 0x3C))
        guard sectionEntrySize >= 64 else { throw .truncated }

        var names = Set<String>()
        // Symbol tables of a real file do not overlap, so together they fit in it; more
        // means sections listed again and again, which would only multiply the work.
        var symbolTableBytes = 0
        for index in 0..<sectionCount {
            let header = sectionOffset + index * sectionEntrySize
            let type = try reader.integer(UInt32.self, at: header + 4)
            guard type == Self.sectionSymbolTable || type == Self.sectionDynamicSymbols else { continue }
            let offset = try reader.position(at: header + 0x18)
            let size = try reader.position(at: header + 0x20)
            let link = Int(try reader.integer(UInt32.self, at: header + 0x28))
            let entrySize = try reader.position(at: header + 0x38)
            guard entrySize >= 24, link < sectionCount else { throw .truncated }
            symbolTableBytes += size
            guard symbolTableBytes <= data.count else { throw .truncated }
            let stringsHeader = sectionOffset + link * sectionEntrySize
            let stringsOffset = try reader.position(at: stringsHeader + 0x18)
            let stringsSize = try reader.position(at: stringsHeader + 0x20)
            for symbol in stride(from: offset, to: offset + size, by: entrySize) {
                let info = try reader.integer(UInt8.self, at: symbol + 4)
                let sectionIndex = try reader.integer(UInt16.self, at: symbol + 6)
                let kind = info & 0x0F
                // Defined functions only: an undefined (imported) symbol has section index 0.
                guard kind == Self.symbolFunction || kind == Self.symbolIndirectFunction, sectionIndex != 0 else { continue }
                let nameOffset = Int(try reader.integer(UInt32.self, at: symbol))
                guard nameOffset < stringsSize else { throw .truncated }
                names.insert(try reader.cString(at: stringsOffset + nameOffset, limit: stringsOffset + stringsSize))
            }
        }
        self.names = names
    }

    /// The requested names that the binary does not define, in request order.
    public func missing(_ functions: [String]) -> [String] {
        functions.filter { !names.contains($0) }
    }
}

/// Bounds-checked little-endian reads from a byte buffer.
private struct LittleEndianReader {
    let data: Data

    func integer<T: FixedWidthInteger>(_: T.Type, at offset: Int) throws(ELFFunctionSymbols.ReadError) -> T {
        let size = MemoryLayout<T>.size
        guard offset >= 0, offset <= data.count - size else { throw .truncated }
        var value: T = 0
        let start = data.startIndex + offset
        for byteIndex in (0..<size).reversed() {
            value = value << 8 | T(data[start + byteIndex])
        }
        return value
    }

    /// A 64-bit offset or size field, which is only meaningful within the file.
    func position(at offset: Int) throws(ELFFunctionSymbols.ReadError) -> Int {
        let value = try integer(UInt64.self, at: offset)
        guard value <= UInt64(data.count) else { throw .truncated }
        return Int(value)
    }

    func cString(at offset: Int, limit: Int) throws(ELFFunctionSymbols.ReadError) -> String {
        guard offset >= 0, limit <= data.count, offset < limit else { throw .truncated }
        let start = data.startIndex + offset
        let end = data[start..<(data.startIndex + limit)].firstIndex(of: 0) ?? (data.startIndex + limit)
        return String(decoding: data[start..<end], as: UTF8.self)
    }
}
