import CArgon2

/// The argon2 variants libargon2 implements, named as in encoded hashes.
public enum Argon2Variant: String, Sendable, CaseIterable {
    case d = "argon2d"
    case i = "argon2i"
    case id = "argon2id"

    var cType: Argon2_type {
        switch self {
        case .d: return Argon2_d
        case .i: return Argon2_i
        case .id: return Argon2_id
        }
    }
}

public struct Argon2Error: Error, CustomStringConvertible, Sendable {
    public let code: Int32
    public var description: String { "argon2 error \(code): \(String(cString: argon2_error_message(code)))" }
}

/// Thin, blocking wrappers over libargon2. Both calls cost milliseconds of CPU and
/// the hash's memory: call them from a thread of their own, never an event loop.
public enum Argon2 {
    /// Hashes `password` and returns the PHC encoded form (`$argon2i$v=19$m=...`).
    public static func hashEncoded(
        password: String,
        salt: [UInt8],
        variant: Argon2Variant = .i,
        timeCost: UInt32 = 3,
        memoryKiB: UInt32 = 4096,
        parallelism: UInt32 = 1,
        hashLength: Int = 32
    ) throws(Argon2Error) -> String {
        let encodedLength = argon2_encodedlen(timeCost, memoryKiB, parallelism, UInt32(salt.count), UInt32(hashLength), variant.cType)
        var encoded = [CChar](repeating: 0, count: encodedLength)
        let password = Array(password.utf8)
        let code = password.withUnsafeBytes { passwordBytes in
            salt.withUnsafeBytes { saltBytes in
                argon2_hash(
                    timeCost, memoryKiB, parallelism,
                    passwordBytes.baseAddress, passwordBytes.count,
                    saltBytes.baseAddress, saltBytes.count,
                    nil, hashLength,
                    &encoded, encodedLength,
                    variant.cType, UInt32(ARGON2_VERSION_13.rawValue))
            }
        }
        guard code == ARGON2_OK.rawValue else { throw Argon2Error(code: code) }
        return String(decoding: encoded.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// True when `encoded` is a well-formed hash of `password` with `variant`.
    public static func verify(encoded: String, password: String, variant: Argon2Variant) -> Bool {
        let password = Array(password.utf8)
        let code = password.withUnsafeBytes { passwordBytes in
            argon2_verify(encoded, passwordBytes.baseAddress, passwordBytes.count, variant.cType)
        }
        return code == ARGON2_OK.rawValue
    }

    /// Random salt for outgoing hashes.
    public static func randomSalt(count: Int = 16) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }
}
