import Foundation

/// Which of some function names an ELF binary defines in `.symtab` and `.dynsym`: what
/// bpftrace and SystemTap can attach a uprobe to by name.
///
/// Why read ELF ourselves: bpftrace silently drops a missing function when another
/// one exists, and `bpftrace -l` needs root; reading the symbol tables needs only read
/// access to the binary and no tracer.
///
/// The binary is any file a local user chose, so the reader's cost is bounded whatever
/// the bytes: a fixed memory budget (`readBufferBytes`, four buffers that never grow;
/// no table of all names is built, only the requested names are looked for), and work
/// at most linear in the file's size (symbol tables together fit in the file; of each
/// defined function symbol at most 513 bytes of its name are read and compared).
public struct ELFFunctionSymbols {
    public enum ReadError: Error, Equatable, CustomStringConvertible {
        case missing
        case kernelInterface
        case notRegularFile
        case empty
        case unreadable(String)
        case changedWhileReading
        case notELF
        case unsupported(String)
        case truncated

        /// Follows the quoted path in error messages.
        public var description: String {
            switch self {
            case .missing: return "does not exist on this endpoint"
            case .kernelInterface: return "is a kernel interface (under /proc, /sys or /dev, also through a symlink), not a program"
            case .notRegularFile: return "is not a regular file"
            case .empty: return "is an empty file, not a program"
            case .unreadable(let reason): return "cannot be read by the endpoint (\(reason))"
            case .changedWhileReading: return "changed while the endpoint read it (truncated or replaced)"
            case .notELF: return "is not an ELF binary"
            case .unsupported(let what): return "is an unsupported ELF file (\(what))"
            case .truncated: return "is a truncated or corrupt ELF file"
            }
        }
    }

    /// The longest name looked for: `TemplateValidator.maxFunctionNameBytes` (not
    /// referenced, so the ELF fuzzer builds from the Tracing sources alone). A symbol
    /// whose name has no NUL in its first 513 bytes is longer, so never requested.
    public static let maxNameBytes = 512

    /// The buffers of one lookup, each allocated once at this size. Section headers and
    /// symbols are read in order, so a large window costs one `pread` per 64 headers or
    /// 2730 symbols; names are read where each symbol points, so their window is small:
    /// a crafted table pointing every symbol somewhere else costs a 1 KiB read each
    /// (43 bytes read per byte of symbol table), not more.
    static let sectionHeaderWindowBytes = 4096
    static let fieldWindowBytes = 64
    static let symbolWindowBytes = 65536
    static let nameWindowBytes = 1024
    /// The memory a lookup reads into, whatever the file.
    public static let readBufferBytes = sectionHeaderWindowBytes + fieldWindowBytes + symbolWindowBytes + nameWindowBytes
    /// The largest single read asked of the source.
    public static let maxReadBytes = symbolWindowBytes

    /// Section header types and symbol fields of ELF64 (see elf.h).
    private static let sectionSymbolTable: UInt32 = 2, sectionDynamicSymbols: UInt32 = 11
    private static let symbolFunction: UInt8 = 2, symbolIndirectFunction: UInt8 = 10

    let source: any ELFByteSource
    /// The file read, when it is one (nil for bytes in memory): what a start keeps open for
    /// its tracer and reads the build of (`HeldBinaries`, `BinaryIdentityCache`).
    public var file: BinaryFile? { source as? BinaryFile }
    let sectionOffset: Int
    let sectionEntrySize: Int
    let sectionCount: Int

    /// Opens the binary (see `BinaryFile` for what is refused) and checks its ELF header.
    public init(path: String) throws(ReadError) {
        try self.init(source: BinaryFile(path: path))
    }

    public init(data: Data) throws(ReadError) {
        try self.init(source: ELFBytes(data))
    }

    /// Checks the ELF header: a 64-bit little-endian file whose section header table
    /// lies within it.
    public init(source: any ELFByteSource) throws(ReadError) {
        guard source.size >= 64 else { throw .notELF }
        let header = ReadWindow(source, capacity: 64)
        header.readAheadEnd = 64
        guard try header.integer(UInt32.self, at: 0) == 0x464C_457F else { throw .notELF }
        guard try header.integer(UInt8.self, at: 4) == 2 else { throw .unsupported("32-bit") }
        guard try header.integer(UInt8.self, at: 5) == 1 else { throw .unsupported("big-endian") }
        // Every offset and size read from the file is at most the file's length (else
        // the file is truncated or hostile) and every count is 16 or 32 bits, so no sum
        // or product below can overflow: an arbitrary file chosen as `process` by a
        // local user must never trap the daemon.
        let sectionOffset = try header.position(at: 0x28)
        let sectionEntrySize = Int(try header.integer(UInt16.self, at: 0x3A))
        let sectionCount = Int(try header.integer(UInt16.self, at: 0x3C))
        guard sectionEntrySize >= 64, sectionCount * sectionEntrySize <= source.size - sectionOffset else { throw .truncated }
        self.source = source
        self.sectionOffset = sectionOffset
        self.sectionEntrySize = sectionEntrySize
        self.sectionCount = sectionCount
    }

    /// The requested names that the binary does not define, in request order. Callers
    /// bound the request (the validator: at most 1024 names of at most 512 bytes);
    /// a longer name is never defined.
    public func missing(_ functions: [String]) throws(ReadError) -> [String] {
        var wanted = Set<[UInt8]>()
        var wantedLength = [Bool](repeating: false, count: Self.maxNameBytes + 1)
        for name in functions where !name.isEmpty && name.utf8.count <= Self.maxNameBytes {
            wanted.insert(Array(name.utf8))
            wantedLength[name.utf8.count] = true
        }
        var found = Set<[UInt8]>()
        if !wanted.isEmpty {
            try look(for: &wanted, lengths: wantedLength, found: &found)
        }
        return functions.filter { !found.contains(Array($0.utf8)) }
    }

    /// Moves each name of `wanted` that a defined function symbol has into `found`;
    /// stops as soon as `wanted` is empty.
    private func look(for wanted: inout Set<[UInt8]>, lengths wantedLength: [Bool], found: inout Set<[UInt8]>) throws(ReadError) {
        let headers = ReadWindow(source, capacity: Self.sectionHeaderWindowBytes)
        let fields = ReadWindow(source, capacity: Self.fieldWindowBytes)
        let symbols = ReadWindow(source, capacity: Self.symbolWindowBytes)
        let names = ReadWindow(source, capacity: Self.nameWindowBytes)
        headers.readAheadEnd = sectionOffset + sectionCount * sectionEntrySize
        // Symbol tables of a real file do not overlap, so together they fit in it; more
        // means sections listed again and again, which would only multiply the work.
        var symbolTableBytes = 0
        for index in 0..<sectionCount {
            let header = sectionOffset + index * sectionEntrySize
            let type = try headers.integer(UInt32.self, at: header + 4)
            guard type == Self.sectionSymbolTable || type == Self.sectionDynamicSymbols else { continue }
            let offset = try headers.position(at: header + 0x18)
            let size = try headers.position(at: header + 0x20)
            let link = Int(try headers.integer(UInt32.self, at: header + 0x28))
            let entrySize = try headers.position(at: header + 0x38)
            guard entrySize >= 24, link < sectionCount else { throw .truncated }
            symbolTableBytes += size
            guard symbolTableBytes <= source.size else { throw .truncated }
            let stringsHeader = sectionOffset + link * sectionEntrySize
            fields.readAheadEnd = stringsHeader + 0x28
            let stringsOffset = try fields.position(at: stringsHeader + 0x18)
            let stringsSize = try fields.position(at: stringsHeader + 0x20)
            guard stringsSize <= source.size - stringsOffset else { throw .truncated }
            symbols.readAheadEnd = offset + size
            names.readAheadEnd = stringsOffset + stringsSize
            for symbol in stride(from: offset, to: offset + size, by: entrySize) {
                // st_name (4 bytes), st_info, st_other, st_shndx (2): one read, in order.
                let fields = try symbols.bytes(at: symbol, count: 8)
                let kind = fields[4] & 0x0F
                let sectionIndex = UInt16(fields[6]) | UInt16(fields[7]) << 8
                // Defined functions only: an undefined (imported) symbol has section index 0.
                guard kind == Self.symbolFunction || kind == Self.symbolIndirectFunction, sectionIndex != 0 else { continue }
                let nameOffset = Int(UInt32(littleEndian: fields.loadUnaligned(as: UInt32.self)))
                guard nameOffset < stringsSize else { throw .truncated }
                // A name runs to its NUL, or to the end of the string table.
                let available = min(Self.maxNameBytes + 1, stringsSize - nameOffset)
                let bytes = try names.bytes(at: stringsOffset + nameOffset, count: available)
                let end = memchr(bytes.baseAddress!, 0, available).map { bytes.baseAddress!.distance(to: UnsafeRawPointer($0)) }
                guard let length = end ?? (available <= Self.maxNameBytes ? available : nil), wantedLength[length] else { continue }
                let name = Array(bytes[0..<length])
                if wanted.remove(name) != nil {
                    found.insert(name)
                    if wanted.isEmpty { return }
                }
            }
        }
    }
}
