import Foundation
import PlatformStore
import Testing

@Suite("Endpoints the platform knows: declared, registered, described by their endpoint-started")
struct EndpointStoreTests {
    @Test("endpoint-started sets the host name and version, the newest start winning; a field it lacks keeps its value")
    func describe() async throws {
        let temporary = try await TemporaryDatabase()
        defer { Task { await temporary.remove() } }
        let store = EndpointStore(database: temporary.database)
        let uuid = "4633d686-f75d-4d1f-8415-02ce37d9e5f8"
        try await store.declare(uuid: uuid, url: "http://127.0.0.1:3000", labels: ["role": "db"])
        try await store.describe(uuid: uuid, hostname: "db-1", version: "0.6.0")
        try await store.describe(uuid: uuid, hostname: nil, version: "0.7.0")
        let endpoint = try #require(try await store.endpoint(uuid))
        #expect(endpoint.hostname == "db-1" && endpoint.version == "0.7.0" && endpoint.labels == #"{"role":"db"}"#)
    }

    @Test("Labels from platform.yml win over a registration's; without them the registration's are kept")
    func labels() async throws {
        let temporary = try await TemporaryDatabase()
        defer { Task { await temporary.remove() } }
        let store = EndpointStore(database: temporary.database)
        try await store.declare(uuid: "a", url: nil, labels: ["role": "db"])
        try await store.register(uuid: "a", hostname: "h", labels: ["role": "web"], control: "pull", version: "1", analyses: [], declaredLabels: true)
        try await store.register(
            uuid: "b",
            hostname: "h",
            labels: ["role": "web"],
            control: "pull",
            version: "1",
            analyses: ["syscalls"],
            declaredLabels: false
        )
        #expect(try await store.endpoint("a")?.labels == #"{"role":"db"}"#)
        #expect(try await store.endpoint("b")?.labels == #"{"role":"web"}"#)
        #expect(try await store.endpoint("b")?.analyses == #"["syscalls"]"#)
    }
}

@Suite("max-endpoints bounds self-registered endpoints")
struct EndpointStoreBoundTests {
    @Test("Beyond max-endpoints a new registration is refused and a new uuid's request adds no row; known ones go on")
    func maxEndpoints() async throws {
        let temporary = try await TemporaryDatabase()
        defer { Task { await temporary.remove() } }
        let store = EndpointStore(database: temporary.database, maxEndpoints: 2)
        try await store.register(uuid: "a", hostname: "h", labels: [:], control: "pull", version: "1", analyses: [], declaredLabels: false)
        try await store.seen("b")
        await #expect(throws: EndpointStore.TooManyEndpoints.self) {
            try await store.register(uuid: "c", hostname: "h", labels: [:], control: "pull", version: "1", analyses: [], declaredLabels: false)
        }
        try await store.seen("d")
        #expect(try await store.all().map(\.uuid) == ["a", "b"])
        try await store.register(uuid: "a", hostname: "h2", labels: [:], control: "pull", version: "1", analyses: [], declaredLabels: false)
        #expect(try await store.endpoint("a")?.hostname == "h2")
    }
}
