import EndpointCore

/// The `Authorization` value this endpoint sends to the platform. Made once per
/// process (one argon2 run), then reused for every request.
public struct OutgoingAuthorization: Sendable {
    public let headerValue: String

    public init(endpointUUID: String, secret: String) throws(Argon2Error) {
        self.headerValue = try AuthorizationHeader.make(endpointUUID: endpointUUID, secret: secret)
    }
}
