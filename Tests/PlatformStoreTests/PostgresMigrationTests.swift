import EndpointTestSupport
import Foundation
import PlatformStore
import Testing

/// Instances started at once on one fresh PostgreSQL database: the schema is made once,
/// under the migration's advisory lock (docs/platform.md, *More than one instance*).
@Suite struct PostgresMigrationTests {
    @Test func fourInstancesOpeningAFreshDatabaseAtOnceMigrateItOnce() async throws {
        let cluster = try await PostgresCluster.shared()
        let url = try await cluster.createDatabase()
        let location = try PostgresLocation(parsing: url + "?sslmode=disable")
        let opened = try await withThrowingTaskGroup(of: PostgresPlatformDatabase.self) { group in
            for _ in 0..<4 { group.addTask { try await PostgresPlatformDatabase.open(location, password: nil, poolSize: 4) } }
            return try await group.reduce(into: [PostgresPlatformDatabase]()) { $0.append($1) }
        }
        #expect(opened.count == 4)
        for database in opened {
            #expect(try await PlatformSchema.version(of: database) == PlatformSchema.latestVersion)
        }
        let name = String(url.split(separator: "/").last!)
        let rows = try await cluster.psql("SELECT version, COUNT(*) FROM platform_schema GROUP BY version ORDER BY version", database: name)
        #expect(rows == (1...PlatformSchema.latestVersion).map { "\($0)|1" }.joined(separator: "\n"))
        // And each works: what one writes, another reads.
        try await opened[0].write { sql in
            try await sql.raw("INSERT INTO signature_nonces (endpoint, nonce, at) VALUES ('e', 'n', 1)").run()
        }
        let seen = try await opened[3].read { sql in
            try await sql.raw("SELECT COUNT(*) AS n FROM signature_nonces").first(decodingColumn: "n", as: Int.self)
        }
        #expect(seen == 1)
        for database in opened { await database.close() }
        try await cluster.dropDatabase(url)
    }
}
