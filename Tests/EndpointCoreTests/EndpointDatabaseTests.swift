import EndpointCore
import Foundation
import Testing

@Suite("SQLite template store")
struct EndpointDatabaseTests {
    static func temporaryDatabasePath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("lambda-endpoint-db-\(UUID().uuidString).sqlite3").path
    }

    let bash = TraceTemplate(process: "/bin/bash", functions: ["xmalloc", "xfree"], traceType: ["BPF", "STAP"])

    @Test("Templates survive closing and reopening the file; numbers are never reused")
    func persistence() async throws {
        let path = Self.temporaryDatabasePath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            let database = try EndpointDatabase(path: path, poolSize: 2)
            #expect(try await database.storeTemplate(bash).traceNo == 1)
            #expect(try await database.storeTemplate(bash).traceNo == 2)
            #expect(try await database.removeTracer(.bpf, fromTemplate: 2) == .tracerRemoved(remaining: StoredTemplate(traceNo: 2, info: TraceTemplate(process: "/bin/bash", functions: ["xmalloc", "xfree"], traceType: ["STAP"]))))
            #expect(try await database.removeTracer(.stap, fromTemplate: 2) == .templateDeleted)
        }
        let reopened = try EndpointDatabase(path: path, poolSize: 2)
        #expect(try await reopened.allTemplates() == [StoredTemplate(traceNo: 1, info: bash)])
        #expect(try await reopened.storeTemplate(bash).traceNo == 3)
        #expect(try await reopened.template(number: 3)?.info == bash)
        #expect(try await reopened.template(number: 2) == nil)
    }

    @Test("Removing a tracer the template does not have, or a missing template, changes nothing")
    func removeNotFound() async throws {
        let path = Self.temporaryDatabasePath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let database = try EndpointDatabase(path: path, poolSize: 1)
        let stored = try await database.storeTemplate(TraceTemplate(process: "/bin/bash", functions: ["xmalloc"], traceType: ["BPF"]))
        #expect(try await database.removeTracer(.stap, fromTemplate: stored.traceNo) == .notFound)
        #expect(try await database.removeTracer(.bpf, fromTemplate: 99) == .notFound)
        #expect(try await database.allTemplates() == [stored])
    }

    @Test("An unopenable path throws instead of crashing")
    func unopenablePath() {
        #expect(throws: (any Error).self) { try EndpointDatabase(path: "/nonexistent-dir/x.sqlite3", poolSize: 1) }
    }
}
