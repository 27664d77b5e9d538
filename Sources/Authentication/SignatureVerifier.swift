import Foundation

/// Checks an incoming `Lambda-Signature` (docs/security.md, "Signatures"): its time within
/// `window` seconds of this clock, the MAC over the message in constant time, and for a
/// request its nonce not accepted before within the window (`NonceWindow`).
public final class SignatureVerifier: Sendable {
    public enum Outcome: Equatable, Sendable {
        case accepted
        /// 401; the reason is safe to show (it never holds the secret or the MAC).
        case rejected(String)
        /// 503: the window holds as many nonces as it may; retry later.
        case busy
    }

    let signer: MessageSigner
    let nonces: NonceWindow
    let clock: @Sendable () -> Int64

    public init(
        uuid: String,
        secret: String,
        nonces: NonceWindow = NonceWindow(),
        clock: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970) }
    ) {
        self.signer = MessageSigner(uuid: uuid, secret: secret)
        self.nonces = nonces
        self.clock = clock
    }

    public var window: Int64 { nonces.window }

    /// A request signed by the other side: checked, then its nonce remembered.
    public func verifyRequest(_ headerValue: String?, method: String, pathAndQuery: String, bodyDigest: String) -> Outcome {
        let signature: LambdaSignature
        switch check(headerValue, .request, method: method, pathAndQuery: pathAndQuery, bodyDigest: bodyDigest) {
        case .success(let checked): signature = checked
        case .failure(let refusal): return .rejected(refusal.reason)
        }
        switch nonces.accept(signature.nonce, now: clock()) {
        case .accepted: return .accepted
        case .repeated: return .rejected("Lambda-Signature: this nonce was already used (a replay)")
        case .full: return .busy
        }
    }

    /// An answer to our own poll, which carried `nonce`: only an answer signed for that
    /// very poll passes (a captured answer to another poll names another nonce).
    public func verifyAnswer(_ headerValue: String?, method: String, pathAndQuery: String, nonce: String, bodyDigest: String) -> Outcome {
        switch check(headerValue, .answer, method: method, pathAndQuery: pathAndQuery, bodyDigest: bodyDigest) {
        case .success(let signature):
            guard signature.nonce == nonce else { return .rejected("Lambda-Signature: signed for another poll (its nonce differs)") }
            return .accepted
        case .failure(let refusal):
            return .rejected(refusal.reason)
        }
    }

    struct Refusal: Error {
        let reason: String
    }

    private func check(
        _ headerValue: String?,
        _ kind: LambdaSignature.Kind,
        method: String,
        pathAndQuery: String,
        bodyDigest: String
    ) -> Result<LambdaSignature, Refusal> {
        guard let headerValue else { return .failure(Refusal(reason: "missing Lambda-Signature header")) }
        guard let signature = LambdaSignature(parsing: headerValue) else {
            return .failure(Refusal(reason: "malformed Lambda-Signature header: expected t=<unix seconds>, n=<nonce>, s=<hex HMAC-SHA256>"))
        }
        let now = clock()
        guard abs(signature.time - now) <= window else {
            return .failure(Refusal(reason: "Lambda-Signature: its time is more than \(window) s from this endpoint's clock"))
        }
        guard signer.matches(signature, kind, method: method, pathAndQuery: pathAndQuery, bodyDigest: bodyDigest) else {
            return .failure(Refusal(reason: "Lambda-Signature does not verify for this message"))
        }
        return .success(signature)
    }
}
