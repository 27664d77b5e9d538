import Foundation

// libFuzzer harness over the ELF symbol reader. `POST /trace/start` reads the symbol
// tables of the template's `process`, which is any regular file on the endpoint: a local
// user who can write one (in /tmp, say) chooses every byte the reader sees. Whatever
// the bytes, the reader must answer a set of names or a ReadError, never trap (a trap
// is the whole daemon gone). Built by `scripts/fuzz.sh` together with
// ELFFunctionSymbols.swift only.

@_cdecl("LLVMFuzzerTestOneInput")
public func lambdaFuzzOneInput(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let bytes = Data(bytes: start, count: count)
    do {
        let symbols = try ELFFunctionSymbols(data: bytes)
        // Every name is bytes of the file up to a NUL: never longer than the file.
        if let long = symbols.names.first(where: { $0.utf8.count > count }) {
            propertyFailed("a \(long.utf8.count)-byte name from a \(count)-byte file")
        }
    } catch {
        if error.description.isEmpty { propertyFailed("a ReadError without a description") }
    }
    return 0
}
