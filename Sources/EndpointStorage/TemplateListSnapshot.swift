import Synchronization
import TraceModel

/// The stored templates as of the last committed change, held in memory.
///
/// `GET /traces` is the platform's most frequent call; answering it from SQLite cost a
/// reader-pool round trip per request (a fifth of the heartbeat's rate in `make bench`).
/// The endpoint is the only writer of its database, so the list is read once when the
/// database opens and replaced by every write that changes it, when that write commits.
final class TemplateListSnapshot: Sendable {
    private let templates: Mutex<[StoredTemplate]>

    init(_ templates: [StoredTemplate]) {
        self.templates = Mutex(templates)
    }

    var current: [StoredTemplate] { templates.withLock { $0 } }

    func replace(with templates: [StoredTemplate]) {
        self.templates.withLock { $0 = templates }
    }
}
