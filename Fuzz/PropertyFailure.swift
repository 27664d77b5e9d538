import Foundation

/// A property of a fuzz target did not hold: say which on stderr and abort, which
/// libFuzzer reports as a crash and saves the input for. Compiled into every target.
func propertyFailed(_ message: String) -> Never {
    FileHandle.standardError.write(Data("fuzzer: property failed: \(message)\n".utf8))
    abort()
}
