import Foundation

/// Samples the endpoints' acknowledged chunk counts of a session's runs: when each last
/// changed before an outage and first changed after it.
struct AcknowledgementWatch {
    let files: [String: String]
    let clock: ContinuousClock
    private(set) var last: [String: Int] = [:]
    private(set) var changed: [String: [ContinuousClock.Instant]] = [:]

    init(files: [String: String], clock: ContinuousClock) {
        self.files = files
        self.clock = clock
    }

    mutating func sample(_ platform: TwoInstancePlatform) async throws {
        for (uuid, file) in files {
            guard let status = try await platform.endpoint(uuid).runStatus(file) else { continue }
            let acknowledged = status.chunksAcknowledged
            if last[uuid] != acknowledged {
                last[uuid] = acknowledged
                changed[uuid, default: []].append(clock.now)
            }
        }
    }

    /// Whether every run's count changed after `instant`.
    func advanced(since instant: ContinuousClock.Instant) -> Bool {
        files.keys.allSatisfy { changed[$0]?.contains { $0 > instant } == true }
    }

    /// Per run: from its last change before `instant` (the database back) to its first
    /// after it: how long its delivery stood still.
    func stalls(until instant: ContinuousClock.Instant) -> [String] {
        [TwoInstancePlatform.pulled.uuid, TwoInstancePlatform.pushed.uuid].map { uuid in
            let times = changed[uuid] ?? []
            guard let before = times.last(where: { $0 <= instant }), let after = times.first(where: { $0 > instant }) else { return "?" }
            return "\(after - before)"
        }
    }
}
