import EndpointTestSupport
import Foundation
import PlatformWire
import Testing

/// The operator API's session calls, and an endpoint's side of its tasks spoken over the
/// real endpoint-facing routes (polls and results signed as that endpoint), for the
/// session tests that need no real endpoint.
extension TestPlatform {
    /// `POST /api/sessions` with `json`.
    func createSession(_ json: String, token: String) async throws -> HTTPAnswer {
        try await call("POST", "/api/sessions", bearer: token, json: json)
    }

    /// The session `id` as `GET /api/sessions/{id}` answers it, as JSON.
    func session(_ id: String, token: String) async throws -> JSONValue {
        let answer = try await call("GET", "/api/sessions/\(id)", bearer: token)
        try #require(answer.status == 200, "\(answer.text)")
        return try answer.json(JSONValue.self)
    }

    /// `PUT /api/sessions/{id} {"run": run}`.
    func order(_ id: String, run: Bool, token: String) async throws -> HTTPAnswer {
        try await call("PUT", "/api/sessions/\(id)", bearer: token, json: #"{"run": \#(run)}"#)
    }

    /// The tasks a poll of `endpoint` takes now (none: []).
    func poll(as endpoint: (uuid: String, secret: String)) async throws -> [PlatformTask] {
        let nonce = String((0..<24).map { _ in "abcdefghijklmnopqrstuvwxyz0123456789".randomElement()! })
        let answer = try await call("GET", "/tasks?endpoint=\(endpoint.uuid)&wait=0&nonce=\(nonce)", as: endpoint)
        guard answer.status == 200 else { return [] }
        return try answer.json([PlatformTask].self)
    }

    /// Answers task `id` as `endpoint` with `status` and `body` (JSON text).
    func answer(_ id: String, as endpoint: (uuid: String, secret: String), status: Int = 200, body: String) async throws {
        let answer = try await call(
            "PUT",
            "/tasks/\(id)/result",
            as: endpoint,
            json: #"{"endpoint": "\#(endpoint.uuid)", "status": \#(status), "body": \#(body)}"#
        )
        try #require(answer.status == 200, "\(answer.text)")
    }

    /// Sends a whole stream of `filePath` as `endpoint`: one chunk of `bytes`, then
    /// `finished` with `code`.
    func deliver(_ filePath: String, bytes: String, code: Int, as endpoint: (uuid: String, secret: String)) async throws {
        let field = Data(bytes.utf8).base64EncodedString()
        for message in [
            #"{"trace": "\#(filePath)", "status": "start"}"#, #"{"trace": "\#(filePath)", "no": 0, "field": "\#(field)"}"#,
            #"{"trace": "\#(filePath)", "stderr": "", "code": \#(code), "status": "finished"}"#,
        ] {
            let answer = try await call("PUT", "/submit", as: endpoint, json: message)
            try #require(answer.status == 200, "\(answer.text)")
        }
    }
}

extension JSONValue {
    /// The member at `path` of nested objects and arrays (`["endpoints", 0, "state"]`).
    subscript(path path: Any...) -> JSONValue? {
        var value: JSONValue? = self
        for step in path {
            switch (value, step) {
            case (.object(let members)?, let key as String): value = members[key]
            case (.array(let items)?, let index as Int): value = items.indices.contains(index) ? items[index] : nil
            default: return nil
            }
        }
        return value
    }
}
