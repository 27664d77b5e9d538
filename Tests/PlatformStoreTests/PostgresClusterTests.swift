import EndpointTestSupport
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The test machinery for the platform on PostgreSQL: the private cluster and haproxy
/// (docs/testing.md, "PostgreSQL and haproxy in tests").
@Suite struct PostgresClusterTests {
    @Test func twoDatabasesAreDistinctAndReachable() async throws {
        let cluster = try await PostgresCluster.shared()
        let first = try await cluster.createDatabase()
        let second = try await cluster.createDatabase()
        #expect(first != second)
        #expect(first.hasPrefix("postgres://postgres@127.0.0.1:\(cluster.port)/"))
        for url in [first, second] {
            let name = String(url.split(separator: "/").last!)
            #expect(try await cluster.psql("select 1", database: name) == "1")
            #expect(try await cluster.psql("select current_database()", database: name) == name)
        }
        // Another test process's cluster, or Debian's default one on 5432, is never this one.
        #expect(cluster.directory.contains("/lambda-pg-\(getpid())-"))
        try await cluster.dropDatabase(first)
        try await cluster.dropDatabase(second)
        let left = try await cluster.psql("select count(*) from pg_database where datname in ('\(name(first))', '\(name(second))')")
        #expect(left == "0")
    }

    @Test func dropEndsTheDatabasesSessions() async throws {
        let cluster = try await PostgresCluster.shared()
        let url = try await cluster.createDatabase()
        // A session held open, as a platform's pool holds its connections.
        let holder = try SpawnedProcess(
            executable: "/usr/bin/psql",
            arguments: ["-X", "-h", "127.0.0.1", "-p", String(cluster.port), "-U", "postgres", "-d", name(url), "-c", "select pg_sleep(60)"]
        )
        try await eventually("the session is open") {
            try await cluster.psql("select count(*) from pg_stat_activity where datname = '\(name(url))'") == "1"
        }
        try await cluster.dropDatabase(url)
        #expect(holder.waitForExit(timeout: 10) != 0)
    }

    @Test func aTableOutlivesStopAndStart() async throws {
        // Its own cluster: stopping the shared one would fail the tests running beside.
        let cluster = try await PostgresCluster()
        let url = try await cluster.createDatabase()
        let database = name(url)
        _ = try await cluster.psql("create table kept (line text); insert into kept values ('before the outage')", database: database)
        try await cluster.stop()
        await #expect(throws: PostgresClusterFailure.self) { try await cluster.psql("select 1", database: database) }
        try await cluster.start()
        #expect(try await cluster.psql("select line from kept", database: database) == "before the outage")
        #expect(cluster.url(database: database) == url)
        let directory = cluster.directory
        await cluster.remove()
        #expect(!FileManager.default.fileExists(atPath: directory))
    }

    @Test func aRoleWithAPasswordMustGiveIt() async throws {
        let cluster = try await PostgresCluster.shared()
        let role = "role_\(UUID().uuidString.prefix(8).lowercased())"
        let password = "pw-\(UUID().uuidString)"
        try await cluster.createRole(name: role, password: password)
        #expect(try await cluster.psql("select current_user", user: role, password: password) == role)
        let refused = await #expect(throws: PostgresClusterFailure.self) {
            try await cluster.psql("select 1", user: role, password: "not-\(password)")
        }
        #expect(refused?.description.contains("password authentication failed") == true)
        #expect(refused?.description.contains(password) == false)
        // Trust still holds for everyone else.
        #expect(try await cluster.psql("select current_user") == "postgres")
    }

    @Test func haproxyBalancesRoundRobinAndSkipsAKilledBackend() async throws {
        let first = try NamedBackend("first")
        let second = try NamedBackend("second")
        let balancer = try await HAProxyBalancer(backendPorts: [first.port, second.port])
        // Both up once each has answered through it.
        try await eventually("both backends answer through haproxy") {
            var seen = Set<String>()
            for _ in 0..<4 { seen.insert(try await HTTPAnswer.call(balancer.url, "GET", "/").text) }
            return seen == ["first", "second"]
        }
        var answers: [String] = []
        for _ in 0..<6 { answers.append(try await HTTPAnswer.call(balancer.url, "GET", "/").text) }
        #expect(Set(answers) == ["first", "second"])
        #expect(zip(answers, answers.dropFirst()).allSatisfy { $0 != $1 }, "round robin alternates: \(answers)")

        first.process.send(SIGKILL)
        first.process.waitForExit(timeout: 5)
        let killedAt = ContinuousClock.now
        try await eventually("every answer comes from the backend left", timeout: .seconds(3)) {
            for _ in 0..<4 {
                guard try await HTTPAnswer.call(balancer.url, "GET", "/").text == "second" else { return false }
            }
            return true
        }
        // Until the checks see it down, each request it would get is redispatched; then
        // it gets none (fall 2 of checks every 500 ms: about 1 s).
        try await eventually("haproxy marks the killed backend down", timeout: .seconds(3)) {
            balancer.log.contains("Server instances/instance0 is DOWN")
        }
        #expect(ContinuousClock.now - killedAt < .seconds(3))
        #expect(!balancer.log.contains("instance1 is DOWN"))
        let directory = balancer.directory
        #expect(FileManager.default.fileExists(atPath: directory + "/haproxy.cfg"))
        await balancer.stop()
        #expect(!FileManager.default.fileExists(atPath: directory))
        #expect(!LoopbackSocket.accepts(port: balancer.port))
    }

    private func name(_ url: String) -> String { String(url.split(separator: "/").last!) }
}

/// A backend of its own process, to be SIGKILLed as an instance would be: Python's
/// http.server on a free port whose `GET /` answers `name` (its directory's index.html).
private final class NamedBackend: Sendable {
    let port: Int
    let process: SpawnedProcess
    private let directory: String

    init(_ name: String) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("named-backend-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try Data(name.utf8).write(to: URL(fileURLWithPath: directory + "/index.html"))
        let socket = try LoopbackSocket(listening: false)
        port = socket.port
        socket.close()
        process = try SpawnedProcess(
            executable: "/usr/bin/python3",
            arguments: ["-m", "http.server", String(port), "--bind", "127.0.0.1", "--directory", directory]
        )
        let port = port
        guard process.waitWhileRunning(timeout: 20, for: { LoopbackSocket.accepts(port: port) ? true : nil }) == true else {
            throw BackendDidNotStart(log: process.standardError)
        }
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    struct BackendDidNotStart: Error { let log: String }
}
