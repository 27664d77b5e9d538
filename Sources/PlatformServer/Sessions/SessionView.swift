import Foundation
import PlatformStore
import PlatformWire
import TraceModel

/// SESSION as the operator API answers it (docs/platform.md, *Sessions*): the spec, whether
/// it runs, and each endpoint of its newest round with its run's state, exit code and
/// bytes read from the runs table at the moment of asking.
struct SessionView: Encodable {
    struct Endpoint: Encodable {
        var uuid: String
        var hostname: String?
        var state: SessionEndpointRecord.State
        var run: String?
        var status: Int64?
        var error: String?
        var code: Int64?
        var bytes: Int64

        enum CodingKeys: String, CodingKey { case uuid, hostname, state, run, status, error, code, bytes }

        /// Absent values as null: every key is always there.
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(uuid, forKey: .uuid)
            try container.encode(hostname, forKey: .hostname)
            try container.encode(state, forKey: .state)
            try container.encode(run, forKey: .run)
            try container.encode(status, forKey: .status)
            try container.encode(error, forKey: .error)
            try container.encode(code, forKey: .code)
            try container.encode(bytes, forKey: .bytes)
        }
    }

    var record: SessionRecord
    var spec: SessionSpec
    var running: Bool
    var endpoints: [Endpoint]

    enum CodingKeys: String, CodingKey {
        case id, name, selector, template, analysis, traceT, target, lasting, context, running, created, createdBy, endpoints
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(record.id, forKey: .id)
        try container.encode(record.name, forKey: .name)
        try container.encode(record.selector, forKey: .selector)
        try container.encodeIfPresent(spec.template, forKey: .template)
        try container.encodeIfPresent(spec.analysis, forKey: .analysis)
        try container.encode(spec.traceT, forKey: .traceT)
        try container.encode(spec.target, forKey: .target)
        try container.encode(spec.lasting, forKey: .lasting)
        try container.encode(spec.context, forKey: .context)
        try container.encode(running, forKey: .running)
        try container.encode(ISOTime.text(record.created), forKey: .created)
        try container.encode(record.createdBy, forKey: .createdBy)
        try container.encode(endpoints, forKey: .endpoints)
    }

    /// The views of `sessions`, their rows, runs and endpoints read once for all.
    static func views(of sessions: [SessionRecord], rows: [SessionEndpointRecord], platform: Platform) async throws -> [SessionView] {
        var hostnames: [String: String] = [:]
        for endpoint in try await platform.endpoints.all() { hostnames[endpoint.uuid] = endpoint.hostname }
        var runs: [String: RunRecord] = [:]
        for id in Set(rows.compactMap(\.run)) { runs[id] = try await platform.runs.run(id) }
        let rowsBySession = Dictionary(grouping: rows, by: \.session)
        return try sessions.map { record in
            let endpoints = (rowsBySession[record.id] ?? []).map { row in
                let run = row.run.flatMap { runs[$0] }
                // A running row whose stream has finished (or whose finished run retention
                // removed) is finished: the runs table says so, no row is rewritten.
                let ended = row.state == .running && (run == nil || run?.finished != nil)
                return Endpoint(
                    uuid: row.endpoint,
                    hostname: hostnames[row.endpoint],
                    state: ended ? .finished : row.state,
                    run: row.run,
                    status: row.status,
                    error: row.error,
                    code: run?.code,
                    bytes: run?.bytes ?? 0
                )
            }
            let running = endpoints.contains { [.queued, .starting, .running].contains($0.state) }
            return SessionView(record: record, spec: try SessionDriver.spec(of: record), running: running, endpoints: endpoints)
        }
    }
}
