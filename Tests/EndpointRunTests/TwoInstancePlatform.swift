import EndpointTestSupport
import Foundation
import Testing

/// Two real `lambda-platform serve` instances A and B on one PostgreSQL database, haproxy
/// in front of them, and two real endpoints whose `platform-url` is haproxy's: a pull
/// endpoint (`control: both`, so the test can also ask it over HTTP; or polling B
/// directly) and a push endpoint the instances call at its own url. Both are declared in platform.yml with role=db.
/// An operator's token (made in the database) works on either instance.
final class TwoInstancePlatform: @unchecked Sendable {
    static let pulled = PullEndpoints.db
    static let pushed = PullEndpoints.pushed
    /// Chunks sent often, retried soon: many are stored before a kill or an outage and
    /// after it. The traced bash writes about 2.7 MB/s: chunks of 64 KiB keep delivery up
    /// with it (4 KiB chunks took 30 s to deliver a 3 s run through two instances). Its
    /// xmalloc fires above the default 10000 events a second, which stops a run after
    /// 5 s: the bound is lifted so that a run streams for all its `lasting`.
    static let delivery: [String: String?] = [
        "submit-chunk-size": "65536", "submit-flush-interval": "0.05", "submit-retry-initial": "0.1", "submit-retry-max": "1",
        "max-events-per-second": "1000000",
    ]

    let cluster: PostgresCluster
    let databaseURL: String
    let a: PlatformProcess
    let b: PlatformProcess
    let balancer: HAProxyBalancer
    let pulledEndpoint: EndpointProcess
    let pushedEndpoint: EndpointProcess
    let token: String

    /// Everything on a new database of `cluster`; `pullingFromB`: the pull endpoint's
    /// `platform-url` is instance B's own, not haproxy's, so that every task it is handed
    /// and every result it gives goes through B; `pollWait`: its polls' seconds.
    init(cluster: PostgresCluster, pullingFromB: Bool = false, pollWait: Int = 2) async throws {
        self.cluster = cluster
        databaseURL = try await cluster.createDatabase()
        // The push endpoint's url goes into platform.yml before it starts (it needs
        // haproxy's url, haproxy the instances' ports): a port free now.
        let pushPort = try LoopbackSocket(listening: false)
        let pushURL = "http://127.0.0.1:\(pushPort.port)"
        pushPort.close()
        let declared: [PlatformProcess.Declared] = [
            .init(uuid: Self.pulled.uuid, secret: Self.pulled.secret, labels: ["role": "db"]),
            .init(uuid: Self.pushed.uuid, secret: Self.pushed.secret, url: pushURL, labels: ["role": "db"]),
        ]
        a = try PlatformProcess(endpoints: declared, database: databaseURL, databasePoolSize: 4, extra: ["max-poll-wait: 26"])
        b = try a.sibling()
        balancer = try await HAProxyBalancer(backendPorts: [a.port, b.port])
        let pullURL = pullingFromB ? b.url : balancer.url
        pulledEndpoint = try EndpointProcess(
            platformURL: pullURL,
            lambda: Self.pulled.settings(platformURL: pullURL, control: "both", pollWait: pollWait).merging(Self.delivery) { $1 }
        )
        pushedEndpoint = try EndpointProcess(
            platformURL: balancer.url,
            settings: ["port": "\(URL(string: pushURL)!.port!)"],
            lambda: Self.pushed.settings(platformURL: balancer.url, control: "push").merging(Self.delivery) { $1 }
        )
        token = try await PlatformDatabaseAccess.token(role: "operator", of: a)
        try await eventually("the pull endpoint registered", timeout: .seconds(20)) {
            try await self.endpointsOnline(through: self.b).contains(Self.pulled.uuid)
        }
    }

    func stop() async {
        pulledEndpoint.process.send(SIGKILL)
        pushedEndpoint.process.send(SIGKILL)
        await balancer.stop()
        a.stop()
        b.stop()
    }

    /// An operator's call to `instance` (A or B directly, or haproxy's url).
    func api(_ instance: String, _ method: String, _ path: String, json: String? = nil) async throws -> HTTPAnswer {
        try await HTTPAnswer.call(instance, method, path, bearer: token, json: json)
    }

    /// The uuids `GET /api/endpoints` of `instance` lists with a registration.
    func endpointsOnline(through instance: PlatformProcess) async throws -> [String] {
        let answer = try await api(instance.url, "GET", "/api/endpoints")
        let listed = (try? JSONSerialization.jsonObject(with: answer.body) as? [[String: Any]]) ?? []
        return listed.filter { $0["hostname"] is String }.compactMap { $0["uuid"] as? String }
    }

    /// A session of `lasting` seconds of the bash template on role=db, created and run
    /// through `instance`; its id.
    func startSession(through instance: PlatformProcess, lasting: Int) async throws -> String {
        let created = try await api(
            instance.url,
            "POST",
            "/api/sessions",
            json: #"{"name": "two instances", "selector": "role=db", "template": \#(SessionRunTests.bashTemplate), "lasting": \#(lasting)}"#
        )
        guard created.status == 201 else {
            throw EndpointProcess.UnexpectedAnswer(description: "POST /api/sessions: \(created.status) \(created.text)")
        }
        let id = try created.json(SessionAnswer.self).id
        let started = try await api(instance.url, "PUT", "/api/sessions/\(id)", json: #"{"run": true}"#)
        guard started.status == 200 else {
            throw EndpointProcess.UnexpectedAnswer(description: "PUT /api/sessions/\(id): \(started.status) \(started.text)")
        }
        return id
    }

    func session(_ id: String, through instance: String) async throws -> SessionAnswer {
        let answer = try await api(instance, "GET", "/api/sessions/\(id)")
        guard answer.status == 200 else {
            throw EndpointProcess.UnexpectedAnswer(description: "GET /api/sessions/\(id): \(answer.status) \(answer.text)")
        }
        return try answer.json(SessionAnswer.self)
    }

    /// The session once both endpoints run it, each run's file path on its endpoint.
    func runningFiles(of id: String, through instance: String) async throws -> [String: String] {
        let session = try await eventuallyValue("session \(id) runs on both endpoints", timeout: .seconds(40)) { () -> SessionAnswer? in
            let session = try await self.session(id, through: instance)
            return session.endpoints.count == 2 && session.endpoints.allSatisfy({ $0.run != nil }) ? session : nil
        }
        var files: [String: String] = [:]
        for endpoint in session.endpoints {
            let run = try await api(instance, "GET", "/api/runs/\(endpoint.run!)")
            let object = try JSONSerialization.jsonObject(with: run.body) as? [String: Any]
            files[endpoint.uuid] = object?["filePath"] as? String
        }
        return files
    }

    /// The endpoint process of `uuid`.
    func endpoint(_ uuid: String) -> EndpointProcess { uuid == Self.pushed.uuid ? pushedEndpoint : pulledEndpoint }

    /// Waits until both runs of the session have at least `chunks` chunks acknowledged.
    func waitForAcknowledged(_ files: [String: String], chunks: Int) async throws {
        for (uuid, file) in files {
            try await eventually("\(chunks) chunks of \(uuid)'s run acknowledged", timeout: .seconds(30)) {
                (try await self.endpoint(uuid).runStatus(file)?.chunksAcknowledged ?? 0) >= chunks
            }
        }
    }

    /// Follows session `id` through `instance` until both endpoints finished; then each
    /// run is complete with code 0, its stream read through `reader` is its endpoint's
    /// run file byte for byte, and each endpoint ran it once (`expectRanOnce`).
    func expectFinishedOnce(_ id: String, through instance: String, reader: String, runs: Int, timeout: Duration = .seconds(90)) async throws {
        var last: SessionAnswer?
        let finished = try await eventuallyValue(
            "session \(id) finished on both endpoints (last seen: \(last.map { "\($0.endpoints)" } ?? "-"))",
            timeout: timeout
        ) {
            () -> SessionAnswer? in
            let session = try await self.session(id, through: instance)
            last = session
            return session.endpoints.count == 2 && session.endpoints.allSatisfy({ ["finished", "failed", "killed"].contains($0.state) })
                ? session : nil
        }
        for row in finished.endpoints {
            #expect(row.state == "finished" && row.code == 0, "\(row)")
            let runID = try #require(row.run)
            let run = try await api(reader, "GET", "/api/runs/\(runID)")
            let object = try #require(try JSONSerialization.jsonObject(with: run.body) as? [String: Any], "\(run.text)")
            #expect(object["complete"] as? Bool == true && object["code"] as? Int == 0, "\(run.text)")
            let filePath = try #require(object["filePath"] as? String)
            let stream = try await api(reader, "GET", "/api/runs/\(runID)/stream")
            #expect(stream.status == 200)
            let runFile = try #require(FileManager.default.contents(atPath: filePath))
            #expect(
                !runFile.isEmpty && stream.body.count == runFile.count,
                "\(row.uuid): \(stream.body.count) bytes stored, \(runFile.count) in the file"
            )
            #expect(stream.body == runFile, "\(row.uuid): the stream read back differs from the run file")
        }
        try await expectRanOnce(session: id, runs: runs)
    }

    /// Each endpoint ran the session once: one run of it on the platform; a task of the
    /// session for the pull endpoint answered once (a task handed out twice would start a
    /// second run, a second result for its id is refused); on each endpoint, `runs`
    /// finished runs in all (one per session so far) and none running.
    func expectRanOnce(session id: String, runs: Int) async throws {
        let database = URL(string: databaseURL)!.lastPathComponent
        let perEndpoint = try await cluster.psql(
            "SELECT endpoint, count(*) FROM runs WHERE session = '\(id)' GROUP BY endpoint ORDER BY endpoint",
            database: database
        )
        #expect(perEndpoint == "\(Self.pulled.uuid)|1\n\(Self.pushed.uuid)|1", "runs of session \(id) per endpoint")
        let tasks = try await cluster.psql(
            "SELECT count(*), count(result_at) FROM tasks WHERE session = '\(id)' AND endpoint = '\(Self.pulled.uuid)'",
            database: database
        )
        let counts = tasks.split(whereSeparator: { $0 == "|" || $0 == "\n" }).compactMap { Int($0) }
        #expect(counts.count == 2 && counts[0] >= 1 && counts[0] == counts[1], "tasks of the pull endpoint (all, answered): \(tasks)")
        for endpoint in [pulledEndpoint, pushedEndpoint] {
            let finished = try await endpoint.finishedRuns().count
            let running = try await endpoint.runningRuns().count
            #expect(finished == runs && running == 0, "port \(endpoint.port): \(finished) finished runs, \(running) running")
        }
    }
}
