import Credentials

/// What this endpoint presents to the platform: the `Authorization` value, made once per
/// process (one argon2 run) and reused for every request, and the signer that gives every
/// request its own `Lambda-Signature` (docs/security.md, "Signatures").
public struct OutgoingAuthorization: Sendable {
    public let headerValue: String
    public let signer: MessageSigner

    public init(endpointUUID: String, secret: String) throws(Argon2Error) {
        self.headerValue = try AuthorizationHeader.make(endpointUUID: endpointUUID, secret: secret)
        self.signer = MessageSigner(uuid: endpointUUID, secret: secret)
    }
}
