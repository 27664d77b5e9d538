/// One task of a poll answer (SPEC "Pull mode and fleets"): a request the platform wants
/// run as if it had arrived over HTTP. `{"id", "method", "path", "query", "body"}`.
///
/// Decoding checks only the shape; `checked()` the rules that decide whether it may run
/// at all. A task that breaks them is still answered (its result says why, 400), since
/// the platform waits for every id it sent.
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

    /// The method is GET, PUT or POST and the path one absolute path of at most 1024
    /// bytes with no query or fragment of its own (the query is `query`). Which route it
    /// names is the router's to say, as for a request over HTTP (404 for none).
    public func checked() throws(FieldError) {
        guard ["GET", "PUT", "POST"].contains(method) else {
            throw FieldError(field: "method", reason: "must be GET, PUT or POST, got \(quoted(String(method.prefix(16))))")
        }
        guard path.hasPrefix("/"), path.utf8.count <= 1024, !path.contains("?"), !path.contains("#"),
            path.unicodeScalars.allSatisfy({ $0.isASCII && $0.value > 0x20 && $0.value < 0x7F })
        else {
            throw FieldError(field: "path", reason: "must be an absolute path of at most 1024 printable ASCII bytes, without ? or #")
        }
        guard query.count <= 32, query.allSatisfy({ $0.key.utf8.count <= 256 && $0.value.utf8.count <= 4096 }) else {
            throw FieldError(field: "query", reason: "at most 32 keys, each of at most 256 bytes and its value of at most 4096")
        }
    }
}

/// What the endpoint sends back for a task: `PUT <platform-url>/tasks/<id>/result` with
/// `{"endpoint": uuid, "status": <HTTP status>, "body": <JSON, or a string for text answers>}`.
public struct TaskResult: Codable, Sendable, Equatable {
    public let endpoint: String
    public let status: Int
    /// The endpoint always sends one; a platform may take a result without.
    public let body: JSONValue?

    public init(endpoint: String, status: Int, body: JSONValue?) {
        self.endpoint = endpoint
        self.status = status
        self.body = body
    }
}
