import Foundation

// libFuzzer harness over the ELF symbol reader. `POST /trace/start` looks the template's
// functions up in its `process`, which is any regular file on the endpoint: a local user
// who can write one (in /tmp, say) chooses every byte the reader sees. Whatever the
// bytes, the reader must answer which requested names are missing or throw a ReadError,
// never trap (a trap is the whole daemon gone), and stay within its budget: no single
// read over `maxReadBytes`, and bytes read at most linear in the file's size. Built by
// `scripts/fuzz.sh` together with the Tracing sources it needs (ELFFunctionSymbols.swift,
// ELFReadWindow.swift, ELFBuildID.swift, ELFByteSource.swift, BinaryFile.swift) only.

/// Names of the seeds (Fuzz/elf/corpus/functions.so defines the first four), one that
/// no file defines, and the longest name that may be requested.
let requested = ["traced_a", "traced_b", "traced_c", "hidden", "main", "not_defined_anywhere", String(repeating: "a", count: 512)]

/// Every defined function symbol costs at most one name-window refill (1 KiB) per 24
/// bytes of symbol table; the tables themselves and the section headers are read
/// about once.
let bytesReadPerFileByte = 48

@_cdecl("LLVMFuzzerTestOneInput")
public func lambdaFuzzOneInput(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let source = ELFBytes(Data(bytes: start, count: count))
    do {
        // The build-id is read from the same untrusted bytes: hex of 1 to 64 bytes or none.
        if let buildID = try? ELFFunctionSymbols(source: source).buildID(),
            buildID.isEmpty || buildID.count > 128 || buildID.count % 2 != 0 || !buildID.allSatisfy(\.isHexDigit)
        {
            propertyFailed("build-id \(buildID) is not hex of 1 to 64 bytes")
        }
        let missing = try ELFFunctionSymbols(source: source).missing(requested)
        // The answer is the requested names not found, in request order.
        var unmatched = missing[...]
        for name in requested where unmatched.first == name { unmatched = unmatched.dropFirst() }
        if !unmatched.isEmpty { propertyFailed("\(missing) is not a subsequence of the request") }
    } catch {
        if error.description.isEmpty { propertyFailed("a ReadError without a description") }
    }
    if source.largestRead > ELFFunctionSymbols.maxReadBytes {
        propertyFailed("a read of \(source.largestRead) bytes, over maxReadBytes")
    }
    if source.bytesRead > bytesReadPerFileByte * count + ELFFunctionSymbols.readBufferBytes {
        propertyFailed("\(source.bytesRead) bytes read from a \(count)-byte file")
    }
    return 0
}
