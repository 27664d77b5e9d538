import Foundation
import HummingbirdCore
import Testing

@testable import EndpointServer

/// A pull-mode task's `query` becomes the in-process request's query string: what the
/// route reads must be what the task said, `+` included (`URLComponents` left it as it
/// is, and a query parser reads a bare `+` as a space).
@Suite("A task's query, encoded for its in-process request")
struct TaskQueryEncodingTests {
    @Test("Every value reaches the route as the task gave it: + & = % / space and non-ASCII included; keys in order")
    func roundTrip() {
        let query = ["path": "/tmp/a+b c&d=e%f/ü", "b": "+", "a": "1"]
        let encoded = TaskDispatcher.encodedQuery(query)
        #expect(encoded == "a=1&b=%2B&path=%2Ftmp%2Fa%2Bb%20c%26d%3De%25f%2F%C3%BC")
        let parsed = URI("/trace/running?\(encoded)").queryParameters
        for (key, value) in query {
            #expect(parsed.get(key) == value, "\(key)")
        }
    }
}
