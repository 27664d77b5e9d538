import EndpointTestSupport
import Foundation
import Testing
import TraceModel

/// A scratch directory for files a test makes as a local user would (FIFOs, symlinks,
/// crafted binaries).
struct ScratchDirectory: ~Copyable {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("lambda-binary-test-\(UUID().uuidString)").path

    init() throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }

    func file(_ name: String, _ bytes: Data = Data()) throws -> String {
        try bytes.write(to: URL(fileURLWithPath: "\(path)/\(name)"))
        return "\(path)/\(name)"
    }

    func fifo(_ name: String) throws -> String {
        guard mkfifo("\(path)/\(name)", 0o600) == 0 else { throw CocoaError(.fileWriteUnknown) }
        return "\(path)/\(name)"
    }

    func symlink(_ name: String, to target: String) throws -> String {
        try FileManager.default.createSymbolicLink(atPath: "\(path)/\(name)", withDestinationPath: target)
        return "\(path)/\(name)"
    }
}

/// A minimal ELF64 little-endian file: header, a string table holding `strings`, a
/// symbol table of `symbols` defined functions whose names all start at offset 0 of
/// it, and three section headers (null, .strtab, .symtab).
func craftedELF(strings: [UInt8], symbols: Int) -> Data {
    var file = [UInt8](repeating: 0, count: 64)
    func put<T: FixedWidthInteger>(_ value: T, at offset: Int) {
        withUnsafeBytes(of: value.littleEndian) { file.replaceSubrange(offset..<(offset + $0.count), with: $0) }
    }
    file.replaceSubrange(0..<6, with: [0x7F, 0x45, 0x4C, 0x46, 2, 1])
    let stringsOffset = file.count
    file += strings
    let symbolsOffset = file.count
    let symbol: [UInt8] = [0, 0, 0, 0, 0x12, 0, 1, 0] + [UInt8](repeating: 0, count: 16)  // name 0, GLOBAL FUNC, section 1
    file.reserveCapacity(file.count + symbols * 24 + 192)
    for _ in 0..<symbols { file += symbol }
    let sectionsOffset = file.count
    file += [UInt8](repeating: 0, count: 3 * 64)
    put(UInt64(sectionsOffset), at: 0x28)
    put(UInt16(64), at: 0x3A)
    put(UInt16(3), at: 0x3C)
    let strtab = sectionsOffset + 64
    let symtab = sectionsOffset + 128
    put(UInt32(3), at: strtab + 4)
    put(UInt64(stringsOffset), at: strtab + 0x18)
    put(UInt64(strings.count), at: strtab + 0x20)
    put(UInt32(2), at: symtab + 4)
    put(UInt64(symbolsOffset), at: symtab + 0x18)
    put(UInt64(symbols * 24), at: symtab + 0x20)
    put(UInt32(1), at: symtab + 0x28)
    put(UInt64(24), at: symtab + 0x38)
    return Data(file)
}

@Suite("A template's binary: what is opened, how it is read")
struct BinaryFileTests {
    @Test(
        "Kernel interfaces are refused before anything is opened, by the path given and through a symlink",
        arguments: [
            "/proc/self/exe", "/proc/self/maps", "/proc", "/sys/kernel/notes", "/dev/zero", "/dev/null",
        ]
    )
    func kernelInterfaces(_ path: String) throws {
        #expect(throws: ELFFunctionSymbols.ReadError.kernelInterface) { try BinaryFile(path: path) }
        // realpath resolves /proc/self/exe to this test's own binary: an ordinary file.
        guard path != "/proc/self/exe" else { return }
        let scratch = try ScratchDirectory()
        let link = try scratch.symlink("link", to: path)
        #expect(throws: ELFFunctionSymbols.ReadError.kernelInterface) { try BinaryFile(path: link) }
    }

    @Test("A FIFO, a directory, an empty file, a text file and a missing path are refused with their reason")
    func otherRefusals() throws {
        let scratch = try ScratchDirectory()
        let cases: [(String, ELFFunctionSymbols.ReadError)] = [
            (try scratch.fifo("fifo"), .notRegularFile),
            (scratch.path, .notRegularFile),
            (try scratch.file("empty"), .empty),
            (try scratch.file("text", Data("#!/bin/sh\necho hello, this is not a program the tracers can probe\n".utf8)), .notELF),
            ("\(scratch.path)/absent", .missing),
            ("\(scratch.path)/absent/below", .missing),
        ]
        for (path, error) in cases {
            #expect(throws: error, "\(path)") { try ELFFunctionSymbols(path: path) }
        }
    }

    /// pread of a truncated file reads fewer bytes: a clean error. The old reader
    /// memory-mapped the file, and touching a page past the new end is SIGBUS: the
    /// whole daemon gone.
    @Test("A file truncated between open and read gives a clean error")
    func truncatedWhileRead() throws {
        let scratch = try ScratchDirectory()
        let path = try scratch.file("lib.so", Data(contentsOf: TracerProgramTests.elfCorpus.appendingPathComponent("functions.so")))
        let symbols = try ELFFunctionSymbols(path: path)
        #expect(truncate(path, 100) == 0)
        #expect(throws: ELFFunctionSymbols.ReadError.changedWhileReading) { try symbols.missing(["traced_a"]) }
    }

    /// 200,000 defined functions all named by one 4 MiB string without a NUL: the old
    /// reader scanned the 4 MiB and built a 4 MiB String for each symbol (800 GB of
    /// work); this one reads 513 bytes of the name, sees it is longer than any function
    /// that may be requested, and moves on.
    @Test("A huge symbol table all pointing at one long name: answered in well under a second, within the read budget")
    func hugeSymbolTable() throws {
        let file = craftedELF(strings: [UInt8](repeating: UInt8(ascii: "a"), count: 4 << 20), symbols: 200_000)
        let source = ELFBytes(file)
        let started = ContinuousClock.now
        let missing = try ELFFunctionSymbols(source: source).missing(["aaaa", String(repeating: "a", count: 512)])
        let elapsed = ContinuousClock.now - started
        #expect(missing == ["aaaa", String(repeating: "a", count: 512)])
        #expect(elapsed < .seconds(1), "\(elapsed)")
        #expect(source.largestRead <= ELFFunctionSymbols.maxReadBytes)
        #expect(ELFFunctionSymbols.readBufferBytes <= 70 * 1024)
        #expect(source.bytesRead <= file.count + ELFFunctionSymbols.readBufferBytes, "read \(source.bytesRead) bytes of a \(file.count)-byte file")
    }

    @Test("Names of up to 512 bytes are found; a longer one never is")
    func longestNames() throws {
        let longest = [UInt8](repeating: UInt8(ascii: "b"), count: 512)
        let file = craftedELF(strings: longest + [0], symbols: 3)
        let symbols = try ELFFunctionSymbols(data: file)
        #expect(
            try symbols.missing([String(repeating: "b", count: 511), String(repeating: "b", count: 512), "b"]) == [
                String(repeating: "b", count: 511), "b",
            ]
        )
        let tooLong = try ELFFunctionSymbols(data: craftedELF(strings: longest + [UInt8(ascii: "b"), 0], symbols: 3))
        #expect(try tooLong.missing([String(repeating: "b", count: 512)]) == [String(repeating: "b", count: 512)])
    }

    @Test("The real file through pread answers as the bytes in memory do")
    func fileAndMemoryAgree() throws {
        let requested = ["xmalloc", "xfree", "main", "malloc", "no_such_function"]
        let fromFile = try ELFFunctionSymbols(path: "/bin/bash").missing(requested)
        let fromMemory = try ELFFunctionSymbols(data: Data(contentsOf: URL(fileURLWithPath: "/bin/bash"))).missing(requested)
        #expect(fromFile == fromMemory)
        #expect(fromFile == ["malloc", "no_such_function"])
    }
}
