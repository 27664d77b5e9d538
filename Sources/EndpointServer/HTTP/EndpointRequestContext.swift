import Foundation
import Hummingbird

/// The request context of every route: Hummingbird's basic one, with a JSON encoder
/// that writes `/bin/bash` rather than `\/bin\/bash`, with keys in a stable order.
public struct EndpointRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// A pull-mode task run in process (`TaskDispatcher`): its poll answer's signature
    /// verified, which proves the secret as an `Authorization` header would. Never set for
    /// a request that came over a socket.
    public var arrivedInSignedPollAnswer = false

    public init(source: Source) {
        self.coreContext = .init(source: source)
    }

    public var responseEncoder: JSONEncoder { Self.encoder }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }()
}
