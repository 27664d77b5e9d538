import Authentication
import Credentials
import Dispatch
import Synchronization

/// What the platform puts on its task answers and its calls to push endpoints: a
/// `Lambda-Signature` made with that endpoint's secret (`messageSigner(for:)`), and the
/// `Authorization` value `<uuid><argon2 hash of that endpoint's secret>`, computed once per endpoint
/// and reused, because the endpoint remembers a value that verified and then pays no
/// argon2 for it again (a fresh hash per poll would cost both sides a verification).
public final class AnswerSigner: Sendable {
    let credentials: EndpointCredentials
    private let signed = Mutex<[String: String]>([:])
    private let queue = DispatchQueue(label: "lambda-platform.sign", attributes: .concurrent)

    public init(credentials: EndpointCredentials) {
        self.credentials = credentials
    }

    /// Signs as `uuid` with its secret; nil when the platform has none.
    public func messageSigner(for uuid: String) -> MessageSigner? {
        credentials.secret(for: uuid.lowercased()).map { MessageSigner(uuid: uuid, secret: $0) }
    }

    /// nil when the platform has no secret for `uuid`.
    public func header(for uuid: String) async -> String? {
        let uuid = uuid.lowercased()
        if let value = signed.withLock({ $0[uuid] }) { return value }
        guard let secret = credentials.secret(for: uuid) else { return nil }
        let value: String? = await withCheckedContinuation { continuation in
            queue.async { continuation.resume(returning: try? AuthorizationHeader.make(endpointUUID: uuid, secret: secret)) }
        }
        guard let value else { return nil }
        // Two first polls at once may both compute one; the first stored is kept for good.
        return signed.withLock { signed in
            if let earlier = signed[uuid] { return earlier }
            signed[uuid] = value
            return value
        }
    }
}
