import EndpointTestSupport
import Foundation
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Connections cannot exhaust the endpoint: the real binary, started with a low
/// descriptor limit, against more idle and trickling raw TCP connections than its cap.
@Suite("Connection limits", .serialized)
struct ConnectionLimitTests {
    /// 60 held connections: above the cap of 32, and with the endpoint's own descriptors
    /// (22 at rest) above a soft limit of 64, so an endpoint that neither raises the
    /// limit nor caps connections runs out of descriptors and cannot accept any more.
    static let idleConnections = 48
    static let tricklingConnections = 12
    static let readTimeoutSeconds = 3
    static let settings: [String: String?] = [
        "max-connections": "32", "idle-timeout-seconds": "60", "request-read-timeout-seconds": "\(readTimeoutSeconds)",
    ]
    static let lambda: [String: String?] = [
        "bpf-path": EndpointProcess.fixture("fake-tracer-sleeps.sh"), "kill-grace-seconds": "1", "max-lasting": "60",
    ]
    /// What tricklers send, one more byte every second: half of them a request head that
    /// is never finished, half a whole head and then a body that is (the idle timer
    /// restarts on every byte, so only the read deadline stops those).
    static let trickledHead = Array("GET /traces HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + String(repeating: "a", count: 200))
    static func trickledBody(authorization: String) -> [Character] {
        let head =
            "PUT /trace HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: \(authorization)\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
        return Array(head + "{" + String(repeating: " ", count: 999))
    }

    @Test(
        "More idle and trickling connections than max-connections: a new client is answered within seconds, runs start, tricklers are closed at the read timeout"
    )
    func connectionFlood() async throws {
        let receiver = try await LiveReceiver()
        defer { receiver.stop() }
        let endpoint = try EndpointProcess(
            receiver: receiver,
            settings: Self.settings,
            lambda: Self.lambda,
            launcher: ["/usr/bin/prlimit", "--nofile=64:4096", "--"]
        )
        endpoint.requestTimeout = 5
        let template = try await endpoint.putTemplate(DeliveryTests.template)

        var held: [RawConnection] = []
        for _ in 0..<Self.idleConnections { held.append(try RawConnection(port: endpoint.port)) }
        let body = Self.trickledBody(authorization: endpoint.authorization)
        let headLength = body.firstIndex(of: "{")! + 1
        var tricklers: [(connection: RawConnection, bytes: [Character], firstByte: Date, closedAt: Date?)] = []
        for index in 0..<Self.tricklingConnections {
            let connection = try RawConnection(port: endpoint.port)
            if index.isMultiple(of: 2) {
                connection.send(String(Self.trickledHead[0]))
                tricklers.append((connection, Array(Self.trickledHead.dropFirst()), Date(), nil))
            } else {
                connection.send(String(body.prefix(headLength)))
                tricklers.append((connection, Array(body.dropFirst(headLength)), Date(), nil))
            }
        }

        // The attacker has held them for a moment: the endpoint has accepted what it could.
        try await Task.sleep(for: .milliseconds(500))
        // A new client while all of those are held: answered within seconds, not after
        // some connection happens to go away.
        endpoint.session = URLSession(configuration: .ephemeral)
        let started = Date()
        let heartbeat = try await endpoint.request("GET", "/heartbeat")
        #expect(heartbeat.status == 200 && heartbeat.body.contains(#""status":"alive""#))
        let traces = try await endpoint.request("GET", "/traces")
        #expect(traces.status == 200 && traces.body.contains(#""traceNo":\#(template)"#))
        #expect(Date().timeIntervalSince(started) < 8, "answers took \(Date().timeIntervalSince(started)) s")
        let stillOpen = held.filter { !$0.isClosedByPeer }.count + tricklers.filter { !$0.connection.isClosedByPeer }.count
        #expect(stillOpen <= 32, "\(stillOpen) of the held connections are open, above max-connections")

        // Keep trickling for up to three read timeouts; every trickler must be closed by
        // the endpoint around the read timeout, never while its first seconds run.
        let giveUp = Date().addingTimeInterval(Double(3 * Self.readTimeoutSeconds) + 2)
        var sent = 1
        while Date() < giveUp, tricklers.contains(where: { $0.closedAt == nil }) {
            // A byte a second per connection: the trickle's pace is the attack.
            try await Task.sleep(for: .seconds(1))
            for index in tricklers.indices where tricklers[index].closedAt == nil {
                if tricklers[index].connection.isClosedByPeer {
                    tricklers[index].closedAt = Date()
                } else {
                    tricklers[index].connection.send(String(tricklers[index].bytes[sent - 1]))
                }
            }
            sent += 1
        }
        for (index, trickler) in tricklers.enumerated() {
            let closedAfter = trickler.closedAt.map { $0.timeIntervalSince(trickler.firstByte) }
            #expect(closedAfter != nil, "trickling connection \(index) is still open after \(sent) bytes")
            if let closedAfter {
                #expect(closedAfter >= Double(Self.readTimeoutSeconds) - 1, "trickling connection \(index) closed after \(closedAfter) s")
            }
        }
        // Every held connection the endpoint closed was evicted (none sent a byte, none
        // waited 60 s); so was the kept-alive connection of `putTemplate`, and at most
        // the new client's too. Every trickler timed out at the read deadline.
        let afterTricklers = try await connectionCounts(endpoint)
        let heldEvicted = held.filter(\.isClosedByPeer).count
        #expect((heldEvicted...heldEvicted + 2).contains(afterTricklers.evicted), "\(afterTricklers), \(heldEvicted) held connections closed")
        #expect(afterTricklers.requestRead == Self.tricklingConnections && afterTricklers.idle == 0, "\(afterTricklers)")

        // A run starts while the attacker again holds more idle connections than the cap.
        // (Started after the tricklers' check: a tracer inherits the sockets open when it
        // is spawned, NIO's accepted sockets not being close-on-exec, and would hold
        // their client side open.)
        for _ in 0..<Self.idleConnections { held.append(try RawConnection(port: endpoint.port)) }
        // Held for a moment again, as above.
        try await Task.sleep(for: .milliseconds(500))
        let startedRun = Date()
        let run = try await endpoint.start(traceId: template, lasting: 30)
        try await endpoint.waitForState(run, .running, timeout: .seconds(10))
        #expect(try await endpoint.request("GET", "/heartbeat").status == 200)
        #expect(Date().timeIntervalSince(startedRun) < 8, "the run took \(Date().timeIntervalSince(startedRun)) s to start")
        #expect(endpoint.process.waitForExit(timeout: 0) == nil, "the endpoint died:\n\(endpoint.process.standardError.suffix(2000))")
        try await endpoint.kill(run)
        #expect(await receiver.waitForFinished(run, timeout: 20)?.code == 0)
        // The second batch evicted more of the held connections. A lower bound only: the
        // tracer inherited the endpoint's side of the connections open at its spawn, so
        // one evicted after that stays open from the client's side.
        let atEnd = try await connectionCounts(endpoint)
        #expect(
            atEnd.evicted >= afterTricklers.evicted + Self.idleConnections - 32 && atEnd.evicted >= held.filter { $0.isClosedByPeer }.count,
            "\(atEnd)"
        )
        #expect(atEnd.requestRead == Self.tricklingConnections && atEnd.idle == 0, "\(atEnd)")
        withExtendedLifetime(held) {}
    }

    @Test("Connections idle for idle-timeout-seconds are closed, a kept-alive one after its answer too, and /metrics counts each as idle")
    func idleConnectionsClosedAndCounted() async throws {
        let receiver = try await LiveReceiver()
        defer { receiver.stop() }
        let endpoint = try EndpointProcess(receiver: receiver, settings: ["idle-timeout-seconds": "2", "request-read-timeout-seconds": "30"])
        let silent = try (0..<4).map { _ in try RawConnection(port: endpoint.port) }
        let keptAlive = try RawConnection(port: endpoint.port)
        keptAlive.send("GET /heartbeat HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        var answer = ""
        try await eventually("the kept-alive connection's heartbeat answered", timeout: .seconds(5)) {
            answer += keptAlive.receiveAvailable()
            return answer.contains(#""status":"alive""#)
        }
        #expect(answer.hasPrefix("HTTP/1.1 200"), "\(answer)")
        let idlers = silent + [keptAlive]
        // None may be closed during this first second (idle-timeout-seconds is 2).
        try await Task.sleep(for: .seconds(1))
        #expect(!idlers.contains { $0.isClosedByPeer }, "a connection was closed before idle-timeout-seconds")
        try await eventually("every idle connection closed", timeout: .seconds(8), poll: .milliseconds(100)) {
            idlers.allSatisfy(\.isClosedByPeer)
        }
        endpoint.session = URLSession(configuration: .ephemeral)
        let counts = try await connectionCounts(endpoint)
        #expect(counts == ConnectionCounts(evicted: 0, idle: idlers.count, requestRead: 0))
    }

    /// `lambda_http_connections_*` from the endpoint's /metrics.
    struct ConnectionCounts: Equatable, CustomStringConvertible {
        let evicted: Int
        let idle: Int
        let requestRead: Int

        var description: String { "evicted \(evicted), timed out idle \(idle), timed out reading a request \(requestRead)" }
    }

    func connectionCounts(_ endpoint: EndpointProcess) async throws -> ConnectionCounts {
        let answer = try await endpoint.request("GET", "/metrics")
        try #require(answer.status == 200, "\(answer.body)")
        func count(_ series: String) throws -> Int {
            try #require(prometheusSample(answer.body, series).flatMap { Int($0) }, "\(series) missing from /metrics")
        }
        return ConnectionCounts(
            evicted: try count("lambda_http_connections_evicted_total"),
            idle: try count(#"lambda_http_connections_timed_out_total{reason="idle"}"#),
            requestRead: try count(#"lambda_http_connections_timed_out_total{reason="request-read"}"#)
        )
    }

    @Test("The soft open-file limit is raised to the hard limit at start, and the log says from what to what")
    func openFileLimitRaised() async throws {
        let receiver = try await LiveReceiver()
        defer { receiver.stop() }
        let endpoint = try EndpointProcess(receiver: receiver, launcher: ["/usr/bin/prlimit", "--nofile=256:4096", "--"])
        let limits = try String(contentsOfFile: "/proc/\(endpoint.process.pid)/limits", encoding: .utf8)
        let line = try #require(limits.split(separator: "\n").first { $0.hasPrefix("Max open files") })
        let figures = line.split(separator: " ").dropFirst(3).prefix(2)
        #expect(Array(figures) == ["4096", "4096"], "\(line)")
        let log = endpoint.process.standardError
        #expect(log.contains("Open-file limit set to the hard limit") && log.contains("nofile.old=256") && log.contains("nofile.new=4096"), "\(log)")
    }

    @Test("A max-connections that would eat the descriptors kept for runs is lowered at start, with a warning")
    func connectionCapFitsTheLimit() async throws {
        let receiver = try await LiveReceiver()
        defer { receiver.stop() }
        // Hard limit 300; the reserve at these settings is 64 + 2 x 4 readers + 8 x 16 runs = 200.
        let endpoint = try EndpointProcess(receiver: receiver, launcher: ["/usr/bin/prlimit", "--nofile=300:300", "--"])
        let log = endpoint.process.standardError
        #expect(log.contains("max-connections lowered to keep descriptors for runs, delivery and SQLite"), "\(log)")
        let listening = try #require(log.split(separator: "\n").first { $0.contains("Endpoint listening") })
        #expect(listening.contains("http.max-connections=100"), "\(listening)")
    }
}
