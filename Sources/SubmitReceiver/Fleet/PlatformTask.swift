/// A request the platform asks a pull endpoint to run through its own routes, as it
/// travels in a `GET /tasks` answer.
public struct PlatformTask: Codable, Sendable, Equatable {
    public enum Method: String, Codable, Sendable {
        case GET, PUT, POST
    }

    public var id: String
    public var method: Method
    public var path: String
    public var query: [String: String]
    public var body: JSONValue?

    public init(id: String, method: Method, path: String, query: [String: String] = [:], body: JSONValue? = nil) {
        self.id = id
        self.method = method
        self.path = path
        self.query = query
        self.body = body
    }

    enum CodingKeys: String, CodingKey { case id, method, path, query, body }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        guard Self.isValidID(id) else {
            throw DecodingError.dataCorruptedError(forKey: .id, in: container, debugDescription: "id: 1-128 of [A-Za-z0-9._:-]")
        }
        method = try container.decode(Method.self, forKey: .method)
        path = try container.decode(String.self, forKey: .path)
        guard path.hasPrefix("/") else {
            throw DecodingError.dataCorruptedError(forKey: .path, in: container, debugDescription: "path: must start with /")
        }
        query = try container.decodeIfPresent([String: String].self, forKey: .query) ?? [:]
        body = try container.decodeIfPresent(JSONValue.self, forKey: .body)
    }

    /// Task ids are 1-128 of `[A-Za-z0-9._:-]`: safe in a URL path and a log line as they are.
    public static func isValidID(_ id: String) -> Bool {
        (1...128).contains(id.utf8.count)
            && id.utf8.allSatisfy { byte in
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                    || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || ".:_-".utf8.contains(byte)
            }
    }
}

/// What an endpoint answered to a task: `PUT /tasks/{id}/result`'s body.
public struct TaskResult: Codable, Sendable, Equatable {
    public var endpoint: String
    public var status: Int
    /// JSON, or a string for a text answer.
    public var body: JSONValue?

    public init(endpoint: String, status: Int, body: JSONValue?) {
        self.endpoint = endpoint
        self.status = status
        self.body = body
    }
}
