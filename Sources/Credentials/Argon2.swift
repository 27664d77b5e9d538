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
                    timeCost,
                    memoryKiB,
                    parallelism,
                    passwordBytes.baseAddress,
                    passwordBytes.count,
                    saltBytes.baseAddress,
                    saltBytes.count,
                    nil,
                    hashLength,
                    &encoded,
                    encodedLength,
                    variant.cType,
                    UInt32(ARGON2_VERSION_13.rawValue)
                )
            }
        }
        guard code == ARGON2_OK.rawValue else { throw Argon2Error(code: code) }
        return String(decoding: encoded.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// True when `encoded` is a well-formed hash of `password` with `variant`: the
    /// answer of `argon2_verify`, computed on the calling thread alone.
    ///
    /// `argon2_verify` decodes `p` into both the lanes and the threads of the
    /// computation, so it starts `p` threads for each of the 4 slices of every pass:
    /// a client choosing p=8 (the cap) made every verification take 8 cores for a moment
    /// and create 8 × 4 × t threads (m=4 MiB, t=3: 16-17 ms of CPU against 8.3 ms on one
    /// thread, measured on the 2-core build machine). The lanes are part of the hash;
    /// the threads are not: one thread computes the same bytes, and the caller's own
    /// bound on concurrent verifications (`auth-max-concurrent-verifications`) is then
    /// the bound on cores too.
    public static func verify(encoded: String, password: String, variant: Argon2Variant) -> Bool {
        guard let hash = Argon2EncodedHash(Substring(encoded)), hash.variant == variant,
            let decoded = hash.decodedForVerification()
        else { return false }
        var password = Array(password.utf8)
        var salt = decoded.salt
        let expected = decoded.hash
        var computed = [UInt8](repeating: 0, count: expected.count)
        let code = computed.withUnsafeMutableBufferPointer { out in
            password.withUnsafeMutableBufferPointer { passwordBytes in
                salt.withUnsafeMutableBufferPointer { saltBytes in
                    expected.withUnsafeBufferPointer { expectedBytes in
                        var context = argon2_context(
                            out: out.baseAddress,
                            outlen: UInt32(out.count),
                            pwd: passwordBytes.baseAddress,
                            pwdlen: UInt32(passwordBytes.count),
                            salt: saltBytes.baseAddress,
                            saltlen: UInt32(saltBytes.count),
                            secret: nil,
                            secretlen: 0,
                            ad: nil,
                            adlen: 0,
                            t_cost: UInt32(hash.timeCost),
                            m_cost: UInt32(hash.memoryKiB),
                            lanes: UInt32(hash.parallelism),
                            threads: 1,
                            version: UInt32(hash.version ?? Int(ARGON2_VERSION_10.rawValue)),
                            allocate_cbk: nil,
                            free_cbk: nil,
                            flags: 0
                        )
                        return expectedBytes.withMemoryRebound(to: CChar.self) { expectedCharacters in
                            argon2_verify_ctx(&context, expectedCharacters.baseAddress, variant.cType)
                        }
                    }
                }
            }
        }
        return code == ARGON2_OK.rawValue
    }

    /// Random salt for outgoing hashes.
    public static func randomSalt(count: Int = 16) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }
}
