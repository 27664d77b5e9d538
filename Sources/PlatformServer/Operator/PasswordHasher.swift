import Credentials
import Dispatch

/// Accounts' passwords as argon2id encoded hashes. Every hash and verification runs on a
/// dispatch queue of its own, never on Swift's shared pool, and at most `maxConcurrent`
/// at once with `maxWaiting` more in line (a flood of logins gets 503, not every core).
///
/// Parameters: argon2id, m=19456 KiB, t=2, p=1 (OWASP's password storage minimum); a
/// verification then takes about 20-40 ms of one core here (measured on the 2-core build
/// machine under load), which also slows guessing.
public final class PasswordHasher: Sendable {
    public struct Busy: Error {}

    static let memoryKiB: UInt32 = 19456
    static let timeCost: UInt32 = 2

    private let queue = DispatchQueue(label: "lambda-platform.passwords", attributes: .concurrent)
    private let gate: VerificationGate

    public init(maxConcurrent: Int = 2, maxWaiting: Int = 64) {
        gate = VerificationGate(maxConcurrent: maxConcurrent, maxWaiting: maxWaiting)
    }

    /// The encoded hash of `password` with a fresh random salt.
    public func hash(_ password: String) async throws -> String {
        try await onQueue {
            try Argon2.hashEncoded(
                password: password,
                salt: Argon2.randomSalt(),
                variant: .id,
                timeCost: Self.timeCost,
                memoryKiB: Self.memoryKiB
            )
        }
    }

    /// Whether `password` is the one `encoded` hashes. Without a hash (an unknown account)
    /// a verification as costly is made all the same, so the time of the answer does not
    /// tell which names exist.
    public func verify(_ password: String, against encoded: String?) async throws -> Bool {
        try await onQueue {
            guard let encoded else {
                _ = Argon2.verify(encoded: Self.unknownAccountHash, password: password, variant: .id)
                return false
            }
            return Argon2.verify(encoded: encoded, password: password, variant: .id)
        }
    }

    /// A hash no password is known for; computed once, on the queue, at the first unknown name.
    private static let unknownAccountHash: String =
        (try? Argon2.hashEncoded(
            password: String(Argon2.randomSalt(count: 32).map { Character(Unicode.Scalar($0 % 94 + 33)) }),
            salt: Argon2.randomSalt(),
            variant: .id,
            timeCost: timeCost,
            memoryKiB: memoryKiB
        )) ?? ""

    private func onQueue<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        guard await gate.enter() else { throw Busy() }
        let result: Result<T, any Error> = await withCheckedContinuation { continuation in
            queue.async { continuation.resume(returning: Result { try work() }) }
        }
        await gate.leave()
        return try result.get()
    }
}
