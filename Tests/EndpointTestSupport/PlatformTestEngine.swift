import Foundation

/// Which engine the platform's in-process fixtures (`TemporaryDatabase`, `TestPlatform`)
/// put their database on: one suite, two fixtures (docs/testing.md, "The platform's
/// suites on both engines"). Read once from `LAMBDA_TEST_PLATFORM_ENGINE`: `sqlite` (the
/// default: a file in the temporary directory) or `postgres` (a fresh database of the
/// shared `PostgresCluster` per fixture). `make test` runs the platform's suites once each.
public enum PlatformTestEngine: String, Sendable {
    case sqlite
    case postgres

    public static let variable = "LAMBDA_TEST_PLATFORM_ENGINE"

    /// The engine of this test process; anything but the two names stops it, naming the
    /// variable (a typo must not quietly test SQLite twice).
    public static let current: PlatformTestEngine = {
        guard let value = ProcessInfo.processInfo.environment[variable], !value.isEmpty else { return .sqlite }
        guard let engine = PlatformTestEngine(rawValue: value) else {
            fatalError("\(variable)=\(value): expected sqlite (the default) or postgres")
        }
        return engine
    }()

    /// A fixture's pool on PostgreSQL: many tests run at once against the shared cluster
    /// (max_connections 200), each with a database and a pool of its own.
    public static let poolSize = 4

    /// A new empty database of the shared cluster (started on first use); its URL.
    public static func databaseURL() async throws -> String {
        try await PostgresCluster.shared().createDatabase()
    }

    /// Drops a database `databaseURL()` made, ending its sessions first; a failure is only
    /// noted (the cluster goes with the test process anyway).
    public static func dropDatabase(_ url: String) async {
        do {
            try await PostgresCluster.shared().dropDatabase(url)
        } catch {
            print("PlatformTestEngine: \(url) not dropped: \(error)")
        }
    }
}
