import CArgon2
import Foundation

// libFuzzer harness over the Authorization header, the one input every client reaches
// without credentials: the shape parser (length cap, uuid, `$argon2...$m=,t=,p=$salt$hash`),
// the parameter caps, and libargon2's own decoder, which `argon2_verify` runs over the
// presented text. Built by `scripts/fuzz.sh` with the Auth sources and -largon2.
//
// Properties: a value is either refused by the parser or split exactly into the uuid
// and the encoded hash, with parameters as written (decimal, at most 10 digits); a hash
// within the caps is handed to libargon2, which must not crash, verifies only with
// the parameters of a real hash of the secret (the seed corpus holds two), and verifies
// exactly when libargon2's own `argon2_verify` (its decoder) verifies it.

/// Small caps keep each verification under a millisecond, so the fuzzer stays fast; the
/// endpoint's defaults (65536 KiB, t=10, p=8) change only the cost, not the parsing.
let caps = AuthSettings(maxMemoryKiB: 256, maxTimeCost: 2, maxParallelism: 2)
let secret = "fuzz-secret"
/// The parameters of the seeds that are real hashes of `secret` (`valid-*.txt`, made with
/// `printf fuzz-secret | argon2 fuzzsaltfuzzsalt -i -t 1 -m 6 -p 1 -e` and
/// `... -id -t 2 -m 7 -p 2 -e`). A mutation that still verifies must keep them: libargon2
/// may not ignore a parameter it was given.
let seededParameters: Set<String> = ["argon2i v=19 m=64 t=1 p=1", "argon2id v=19 m=128 t=2 p=2"]

@_cdecl("LLVMFuzzerTestOneInput")
public func lambdaFuzzOneInput(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let value = String(decoding: UnsafeBufferPointer(start: start, count: count), as: UTF8.self)
    guard let header = AuthorizationHeader(parsing: value) else { return 0 }
    if String(header.uuid) + header.hash.encoded != value { propertyFailed("the parts do not make up the value") }
    if value.utf8.count > AuthorizationHeader.maxLength { propertyFailed("a value over the length cap was parsed") }
    let hash = header.hash
    for number in [hash.memoryKiB, hash.timeCost, hash.parallelism] where number < 0 || number > 9_999_999_999 {
        propertyFailed("parameter \(number) outside what 10 decimal digits can say")
    }
    if !hash.encoded.hasPrefix("$\(hash.variant.rawValue)$") { propertyFailed("variant \(hash.variant) is not the one written") }
    guard hash.excess(over: caps) == nil else { return 0 }
    let verified = Argon2.verify(encoded: hash.encoded, password: secret, variant: hash.variant)
    // Argon2.verify decodes the text itself (to compute on one thread); it must answer
    // what libargon2's own decoder and verification answer.
    let secretBytes = Array(secret.utf8)
    let libraryVerified = argon2_verify(hash.encoded, secretBytes, secretBytes.count, hash.variant.cType) == ARGON2_OK.rawValue
    if verified != libraryVerified { propertyFailed("\(hash.encoded): Argon2.verify says \(verified), argon2_verify \(libraryVerified)") }
    let parameters =
        "\(hash.variant.rawValue) v=\(hash.version.map(String.init) ?? "none") m=\(hash.memoryKiB) t=\(hash.timeCost) p=\(hash.parallelism)"
    if verified && !seededParameters.contains(parameters) {
        propertyFailed("\(hash.encoded) verified with parameters \(parameters) of no seeded hash")
    }
    return 0
}
