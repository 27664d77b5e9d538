import EndpointTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// `GET /containers` through the whole application, on a fake host (`FakeHostTree`) that
/// the settings point at; the real host with a real container is in EndpointRunTests.
@Suite("Container route: GET /containers")
struct ContainerRouteTests {
    static let dockerId = "9ec39b91f3d70e1beff50a308f77067065ea6be0d91a3378375056cd4422cf3d"

    @Test("Lists the fake host's containers as docs/openapi.yaml's objects, null where unknown")
    func lists() async throws {
        let tree = try FakeHostTree()
        try tree.addProcess(1, cgroup: "/init.scope")
        try tree.addProcess(41, cgroup: "/system.slice/docker-\(Self.dockerId).scope")
        try tree.addProcess(42, cgroup: "/system.slice/docker-\(Self.dockerId).scope")
        try tree.addDockerConfig(id: Self.dockerId, #"{"Name":"/web"}"#)
        let endpoint = try TestEndpoint(lambda: tree.lambdaSettings)
        defer { endpoint.directory.remove() }
        try await endpoint.application().test(.router) { client in
            try await client.execute(uri: "/containers", method: .get, headers: TestEndpoint.authHeaders) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "application/json; charset=utf-8")
                let containers = try APIResponse.decode([ContainerAnswer].self, from: response.text)
                #expect(containers.count == 1)
                let container = try #require(containers.first)
                #expect(container.id == Self.dockerId)
                #expect(container.runtime == "docker" && container.name == "web" && container.pod == nil)
                #expect(container.cgroup == "/system.slice/docker-\(Self.dockerId).scope")
                #expect(container.cgroupId == (try tree.cgroupId(container.cgroup)))
                #expect(container.pids == [41, 42])
                #expect(response.text.contains(#""pod":null"#))
            }
        }
    }

    @Test("Nothing running in containers: []")
    func empty() async throws {
        let tree = try FakeHostTree()
        try tree.addProcess(1, cgroup: "/init.scope")
        let endpoint = try TestEndpoint(lambda: tree.lambdaSettings)
        defer { endpoint.directory.remove() }
        try await endpoint.application().test(.router) { client in
            try await client.execute(uri: "/containers", method: .get, headers: TestEndpoint.authHeaders) { response in
                #expect(response.status == .ok)
                #expect(response.text == "[]")
            }
        }
    }

    @Test("Authenticated like every route but /heartbeat; other methods are 405")
    func authenticated() async throws {
        let tree = try FakeHostTree()
        let endpoint = try TestEndpoint(lambda: tree.lambdaSettings)
        defer { endpoint.directory.remove() }
        try await endpoint.application().test(.router) { client in
            try await client.execute(uri: "/containers", method: .get) { response in
                #expect(response.status == .unauthorized)
                let answer = try APIResponse.decode(ErrorAnswer.self, from: response.text)
                #expect(!answer.error.isEmpty)
            }
            try await client.execute(uri: "/containers", method: .head, headers: TestEndpoint.authHeaders) { #expect($0.status == .ok) }
            try await client.execute(uri: "/containers", method: .post, headers: TestEndpoint.jsonHeaders) { response in
                #expect(response.status == .methodNotAllowed)
                #expect(response.headers[.allow] == "GET, HEAD")
            }
        }
    }
}
