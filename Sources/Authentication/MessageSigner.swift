import Credentials
import Crypto
import Foundation

/// Signs messages as `uuid` with a secret (`LambdaSignature`): the endpoint signs what it
/// sends to its platform, a platform what it sends to an endpoint and its poll answers.
/// The key is made once; a signature costs one SHA-256 of the body and one HMAC.
public struct MessageSigner: Sendable {
    public let uuid: String
    let key: SymmetricKey

    public init(uuid: String, secret: String) {
        self.uuid = uuid.lowercased()
        self.key = SymmetricKey(data: Data(secret.utf8))
    }

    /// The header value for one message. `nonce`: fresh per message; for an answer, the
    /// nonce of the poll it answers.
    public func sign(
        _ kind: LambdaSignature.Kind,
        method: String,
        pathAndQuery: String,
        body: some ContiguousBytes,
        nonce: String = LambdaSignature.makeNonce(),
        time: Int64 = Int64(Date().timeIntervalSince1970)
    ) -> LambdaSignature {
        let mac = LambdaSignature.mac(
            key: key,
            kind: kind,
            uuid: uuid,
            method: method,
            pathAndQuery: pathAndQuery,
            time: time,
            nonce: nonce,
            bodyDigest: LambdaSignature.bodyDigest(body)
        )
        return LambdaSignature(time: time, nonce: nonce, mac: mac)
    }

    /// Whether `signature` is this signer's over the message, in constant time over the
    /// MAC; the time window and nonce memory are the caller's (`SignatureVerifier`).
    public func matches(
        _ signature: LambdaSignature,
        _ kind: LambdaSignature.Kind,
        method: String,
        pathAndQuery: String,
        bodyDigest: String
    ) -> Bool {
        let expected = LambdaSignature.mac(
            key: key,
            kind: kind,
            uuid: uuid,
            method: method,
            pathAndQuery: pathAndQuery,
            time: signature.time,
            nonce: signature.nonce,
            bodyDigest: bodyDigest
        )
        return constantTimeEquals(Array(expected.utf8), Array(signature.mac.utf8))
    }
}
