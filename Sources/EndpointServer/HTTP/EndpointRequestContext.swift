import Foundation
import Hummingbird

/// The request context of every route: Hummingbird's basic one, with a JSON encoder
/// that writes `/bin/bash` rather than `\/bin\/bash`, with keys in a stable order.
public struct EndpointRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage

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
