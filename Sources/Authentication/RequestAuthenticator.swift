import Credentials
import Dispatch

/// Decides whether an incoming `Authorization` value is this endpoint's.
///
/// Order of checks, cheapest first: length cap, verified-value cache, shape, argon2
/// parameter caps, then one bounded argon2 verification off the caller's thread, whose
/// outcome and the uuid's are answered together.
public final class RequestAuthenticator: Sendable {
    public enum Outcome: Equatable, Sendable {
        case accepted
        /// 401; the reason is safe to show (it never contains the secret or the hash).
        case rejected(String)
        /// 503: too many verifications queued.
        case busy
    }

    let endpointUUID: String
    let secret: String
    let settings: AuthSettings
    public let cache: VerifiedHeaderCache
    /// The same endpoint's `Lambda-Signature`s (one nonce window for the process).
    public let signatures: SignatureVerifier
    let gate: VerificationGate
    /// argon2 runs here, never on an event loop or the Swift concurrency pool.
    private let queue = DispatchQueue(label: "lambda-endpoint.argon2", attributes: .concurrent)

    public init(endpointUUID: String, secret: String, settings: AuthSettings) {
        self.endpointUUID = endpointUUID.lowercased()
        self.secret = secret
        self.settings = settings
        self.cache = VerifiedHeaderCache(capacity: settings.cacheSize)
        self.signatures = SignatureVerifier(uuid: endpointUUID, secret: secret)
        self.gate = VerificationGate(maxConcurrent: settings.maxConcurrentVerifications, maxWaiting: settings.maxWaitingVerifications)
    }

    /// The common case, synchronously: a header value that verified before. Callers on an
    /// event loop check this first, so a client reusing its header costs no hop to
    /// another executor (an `async` call there halved the authenticated request rate).
    public func isRemembered(_ headerValue: String?) -> Bool {
        guard let headerValue, !headerValue.isEmpty, headerValue.utf8.count <= AuthorizationHeader.maxLength else { return false }
        return cache.contains(headerValue)
    }

    public func authenticate(_ headerValue: String?) async -> Outcome {
        guard let headerValue, !headerValue.isEmpty else {
            return .rejected("missing Authorization header")
        }
        guard headerValue.utf8.count <= AuthorizationHeader.maxLength else {
            return .rejected("Authorization header is longer than \(AuthorizationHeader.maxLength) bytes")
        }
        if cache.contains(headerValue) { return .accepted }
        guard let header = AuthorizationHeader(parsing: headerValue) else {
            return .rejected("malformed Authorization header: expected <endpoint-uuid><argon2 encoded hash>")
        }
        if let excess = header.hash.excess(over: settings) {
            return .rejected("Authorization hash refused: \(excess)")
        }
        // A wrong uuid costs the same verification and gets the same answer as a wrong
        // hash: neither the text nor the time of the answer tells a client guessing
        // uuids that it found this endpoint's.
        let isThisEndpoint = header.uuid.lowercased() == endpointUUID
        guard await gate.enter() else { return .busy }
        let verified = await verifyOffThread(header.hash)
        await gate.leave()
        guard isThisEndpoint, verified else {
            return .rejected(Self.notThisEndpoint)
        }
        cache.insert(headerValue)
        return .accepted
    }

    /// The one answer to a well-formed header that is not this endpoint's, whichever
    /// part is wrong.
    public static let notThisEndpoint = "Authorization header does not verify for this endpoint (wrong endpoint uuid or secret)"

    private func verifyOffThread(_ hash: Argon2EncodedHash) async -> Bool {
        let secret = self.secret
        return await withCheckedContinuation { continuation in
            queue.async {
                continuation.resume(returning: Argon2.verify(encoded: hash.encoded, password: secret, variant: hash.variant))
            }
        }
    }
}
