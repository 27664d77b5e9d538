/// One task of a poll answer (docs/fleet.md): a request the platform wants
/// run as if it had arrived over HTTP. `{"id", "method", "path", "query", "body"}`.
///
/// Decoding checks only the shape; `checked()` (the endpoint's, in `EndpointServer`) the
/// rules that decide whether it may run at all. A task that breaks them is still
/// answered (its result says why, 400), since the platform waits for every id it sent.
public struct PlatformTask: Codable, Sendable, Equatable {
    public let id: String
    public let method: String
    public let path: String
    public let query: [String: String]
    public let body: JSONValue?

    enum CodingKeys: String, CodingKey { case id, method, path, query, body }

    public init(id: String, method: String, path: String, query: [String: String] = [:], body: JSONValue? = nil) {
        self.id = id
        self.method = method
        self.path = path
        self.query = query
        self.body = body
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        method = try container.decode(String.self, forKey: .method)
        path = try container.decode(String.self, forKey: .path)
        query = try container.decodeIfPresent([String: String].self, forKey: .query) ?? [:]
        body = try container.decodeIfPresent(JSONValue.self, forKey: .body)
    }

    /// 1 to 128 of `[A-Za-z0-9._:-]`: what the result's URL and the record of executed ids hold.
    public static func isValidID(_ id: String) -> Bool {
        (1...128).contains(id.utf8.count)
            && id.utf8.allSatisfy { byte in
                (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
                    || [0x2E, 0x5F, 0x3A, 0x2D].contains(byte)
            }
    }
}
