import EndpointTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("Live server on loopback")
struct LiveServerTests {
    @Test("Real HTTP: heartbeat, authenticated PUT and GET")
    func liveRoundTrip() async throws {
        let endpoint = try TestEndpoint()
        defer { endpoint.directory.remove() }
        try await endpoint.application().test(.live) { client in
            #expect(client.port != nil && client.port != 0)
            try await client.execute(uri: "/heartbeat", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/traces", method: .get) { #expect($0.status == .unauthorized) }
            try await client.execute(uri: "/trace", method: .put, headers: TestEndpoint.jsonHeaders, body: TemplateRouteTests.bashTemplate.buffer) {
                response in
                #expect(response.status == .ok)
                #expect(response.text == TemplateRouteTests.bashStored)
            }
            try await client.execute(uri: "/traces", method: .get, headers: TestEndpoint.authHeaders) { response in
                #expect(response.text == "[\(TemplateRouteTests.bashStored)]")
            }
        }
    }

    @Test("Templates survive a restart of the whole application on the same SQLite file")
    func persistsAcrossRestart() async throws {
        let endpoint = try TestEndpoint()
        defer { endpoint.directory.remove() }
        try await endpoint.application().test(.live) { client in
            try await client.execute(uri: "/trace", method: .put, headers: TestEndpoint.jsonHeaders, body: TemplateRouteTests.bashTemplate.buffer) {
                #expect($0.status == .ok)
            }
        }
        #expect(FileManager.default.fileExists(atPath: endpoint.directory.databaseFile))
        let restarted = try TestEndpoint(directory: endpoint.directory)
        try await restarted.application().test(.live) { client in
            try await client.execute(uri: "/traces", method: .get, headers: TestEndpoint.authHeaders) { response in
                #expect(response.text == "[\(TemplateRouteTests.bashStored)]")
            }
        }
    }
}
