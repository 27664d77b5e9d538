import Authentication
import Credentials
import Dispatch
import Synchronization

/// What a request's `Authorization` proved: which endpoint sent it, or why it is refused.
public enum EndpointVerification: Equatable, Sendable {
    case endpoint(uuid: String)
    /// 401, with a reason safe to show.
    case rejected(String)
    /// 503: too many verifications waiting.
    case busy
}

/// Verifies `Authorization` values of many endpoints: the uuid a value names picks the
/// secret it must verify against. Cheapest checks first, as `RequestAuthenticator`:
/// length, the cache of values verified before, shape, the argon2 parameter caps, then
/// one bounded verification on a dispatch queue (never the Swift concurrency pool).
///
/// Unlike the endpoint, a platform does not hide which uuids it knows (the endpoints
/// know their own uuids, and the list is no secret here): an unknown uuid is refused
/// without computing anything, so a flood of made-up uuids costs no argon2.
public final class FleetAuthenticator: Sendable {
    public let credentials: EndpointCredentials
    let settings: AuthSettings
    let cache: VerifiedHeaderCache
    let gate: VerificationGate
    private let queue = DispatchQueue(label: "lambda-platform.argon2", attributes: .concurrent)
    /// One per endpoint with a secret, made at its first signed request (as many as
    /// `credentials` holds, at most).
    private let signatures = Mutex<[String: SignatureVerifier]>([:])

    /// Verifies `uuid`'s `Lambda-Signature`s; nil when the platform has no secret for it.
    public func signatureVerifier(for uuid: String) -> SignatureVerifier? {
        let uuid = uuid.lowercased()
        guard let secret = credentials.secret(for: uuid) else { return nil }
        return signatures.withLock { verifiers in
            if let known = verifiers[uuid] { return known }
            let made = SignatureVerifier(uuid: uuid, secret: secret)
            verifiers[uuid] = made
            return made
        }
    }

    public init(credentials: EndpointCredentials, settings: AuthSettings = AuthSettings()) {
        self.credentials = credentials
        self.settings = settings
        self.cache = VerifiedHeaderCache(capacity: settings.cacheSize)
        self.gate = VerificationGate(maxConcurrent: settings.maxConcurrentVerifications, maxWaiting: settings.maxWaitingVerifications)
    }

    public static let badHeader = "Authorization header does not verify (unknown endpoint uuid or wrong secret)"

    public func verify(_ headerValue: String?) async -> EndpointVerification {
        guard let headerValue, !headerValue.isEmpty else { return .rejected("missing Authorization header") }
        guard let header = AuthorizationHeader(parsing: headerValue) else {
            return .rejected("malformed Authorization header: expected <endpoint-uuid><argon2 encoded hash>")
        }
        let uuid = header.uuid.lowercased()
        if cache.contains(headerValue) { return .endpoint(uuid: uuid) }
        if let excess = header.hash.excess(over: settings) { return .rejected("Authorization hash refused: \(excess)") }
        guard let secret = credentials.secret(for: uuid) else { return .rejected(Self.badHeader) }
        guard await gate.enter() else { return .busy }
        let verified = await withCheckedContinuation { continuation in
            queue.async {
                continuation.resume(returning: Argon2.verify(encoded: header.hash.encoded, password: secret, variant: header.hash.variant))
            }
        }
        await gate.leave()
        guard verified else { return .rejected(Self.badHeader) }
        cache.insert(headerValue)
        return .endpoint(uuid: uuid)
    }
}
