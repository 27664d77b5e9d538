import Authentication
import Foundation
import HTTPTypes
import Hummingbird
import PlatformWire

/// What a `GET /tasks?endpoint=&wait=&nonce=` asks, checked: the endpoint (the one its
/// Authorization proved) and how long it may be held.
package struct PollRequest: Sendable {
    package let endpoint: String
    /// Seconds to hold the poll, at most the platform's cap.
    package let wait: Double

    /// 400 for a missing endpoint or a bad wait, 401 when the endpoint is not `sender`.
    package init(_ request: Request, sender: String, waitCap: Double) throws {
        guard let endpoint = request.uri.queryParameters.get("endpoint")?.lowercased() else {
            throw PlatformRefusal(.badRequest, "endpoint: missing query parameter")
        }
        guard sender == endpoint else { throw PlatformRefusal(.unauthorized, "Authorization is endpoint \(sender)'s, not \(endpoint)'s") }
        var wait = 0.0
        if let text = request.uri.queryParameters.get("wait") {
            guard let seconds = Double(text), seconds >= 0, seconds.isFinite else {
                throw PlatformRefusal(.badRequest, "wait: expected seconds from 0 to 26")
            }
            wait = min(seconds, waitCap)
        }
        self.endpoint = endpoint
        self.wait = wait
    }
}

extension AnswerSigner {
    /// The headers of a poll's answer `body`: signed as the answer to that very poll (its
    /// method, path and query, its nonce), which is all the endpoint obeys; and the
    /// `Authorization` an endpoint of an earlier version (no nonce) checks.
    package func pollAnswerHeaders(for endpoint: String, poll request: Request, body: Data) async -> HTTPFields {
        var headers: HTTPFields = [:]
        if let authorization = await header(for: endpoint) { headers[.authorization] = authorization }
        if let nonce = request.uri.queryParameters.get("nonce"), LambdaSignature.isValidNonce(nonce),
            let signer = messageSigner(for: endpoint)
        {
            let signature = signer.sign(.answer, method: "GET", pathAndQuery: request.head.path ?? "/", body: body, nonce: nonce)
            headers[HTTPField.Name(LambdaSignature.headerName)!] = signature.headerValue
        }
        return headers
    }
}

extension SubmitMessage {
    /// A `/submit` body parsed, or the 400 naming what is wrong with it.
    package static func parsed(_ body: ByteBuffer) throws -> SubmitMessage {
        do {
            return try SubmitMessageParser.parse(body)
        } catch SubmitMessageParser.Failure.badBase64(let no) {
            throw PlatformRefusal(.badRequest, "chunk \(no): field is not base64")
        } catch {
            throw PlatformRefusal(.badRequest, "not a submit message")
        }
    }
}
