import EndpointTestSupport
import Foundation
import PlatformServer
import PlatformStore

/// Two platforms in this process on one PostgreSQL database of the shared test cluster,
/// as two `lambda-platform serve` behind a load balancer (docs/platform.md, *More than one
/// instance*): each on its own loopback port, each listening for the other's announcements
/// as `serve` does. `stop()` stops both and drops the database.
final class TwoInstances: Sendable {
    let cluster: PostgresCluster
    let url: String
    let a: TestPlatform
    let b: TestPlatform
    private let listeners: [Task<Void, Never>]

    init(configure: (inout PlatformSettings) -> Void = { _ in }) async throws {
        cluster = try await PostgresCluster.shared()
        let url = try await cluster.createDatabase()
        self.url = url
        a = try await TestPlatform(configure: {
            $0.database = url
            $0.databasePoolSize = 4
            configure(&$0)
        })
        b = try await TestPlatform(configure: {
            $0.database = url
            $0.databasePoolSize = 4
            configure(&$0)
        })
        listeners = [a, b].map { test in Task { await test.platform.listenForAnnouncements() } }
        try await Self.listening(cluster, url, count: 2)
    }

    /// Waits until `count` connections of `url`'s database have sent their LISTEN: an
    /// announcement before that would be heard by nobody.
    static func listening(_ cluster: PostgresCluster, _ url: String, count: Int) async throws {
        let name = String(url.split(separator: "/").last!)
        try await eventually("\(count) instance(s) listen on \(name)", timeout: .seconds(15)) {
            try await cluster.psql("SELECT COUNT(*) FROM pg_stat_activity WHERE datname = '\(name)' AND query ILIKE 'LISTEN%'") == "\(count)"
        }
    }

    func stop() async {
        for listener in listeners { listener.cancel() }
        await a.stop()
        await b.stop()
        try? await cluster.dropDatabase(url)
    }
}

extension TestPlatform {
    /// How many polls this instance holds now (`lambda_platform_polls_held`).
    func heldPolls() async -> Int {
        let text = await platform.metrics.text(database: platform.database)
        let line = text.split(separator: "\n").first { $0.hasPrefix("lambda_platform_polls_held ") }
        return line.flatMap { Double($0.split(separator: " ").last ?? "") }.map { Int($0) } ?? -1
    }

    /// A poll nonce (16-64 letters and digits), new each time.
    static func pollNonce() -> String { UUID().uuidString.replacingOccurrences(of: "-", with: "") }
}
