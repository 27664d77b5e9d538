import Synchronization

/// The records waiting for the collector, oldest first, bounded in count and in bytes:
/// beyond either bound the oldest are dropped (the newest say more about now). The sender
/// reads a batch without taking it (`batch`) and removes it once the collector took it
/// (`remove(through:)`), so a batch that keeps failing is still subject to the bounds.
final class OTLPRecordQueue: Sendable {
    struct Entry: Sendable {
        let sequence: UInt64
        let record: OTLPLogRecord
        let size: Int
    }

    private struct State {
        var entries: [Entry] = []
        /// Entries before `head` are gone (removed in bulk once they are half the array).
        var head = 0
        var bytes = 0
        var nextSequence: UInt64 = 0
        var count: Int { entries.count - head }

        mutating func dropFirst() -> Entry {
            let entry = entries[head]
            head += 1
            bytes -= entry.size
            if head >= 1024 && head * 2 >= entries.count {
                entries.removeFirst(head)
                head = 0
            }
            return entry
        }
    }

    let maxRecords: Int
    let maxBytes: Int
    private let state = Mutex(State())

    init(maxRecords: Int, maxBytes: Int) {
        self.maxRecords = maxRecords
        self.maxBytes = maxBytes
    }

    /// Appends `records`; returns how many old ones were dropped to stay in bounds.
    @discardableResult
    func append(_ records: [OTLPLogRecord]) -> Int {
        state.withLock { state in
            var dropped = 0
            for record in records {
                let entry = Entry(sequence: state.nextSequence, record: record, size: record.size)
                state.nextSequence += 1
                state.entries.append(entry)
                state.bytes += entry.size
                while state.count > 1 && (state.count > maxRecords || state.bytes > maxBytes) {
                    _ = state.dropFirst()
                    dropped += 1
                }
            }
            return dropped
        }
    }

    /// The oldest records, at most `maxRecords` of them and about `maxBytes` (always one
    /// at least, when any waits).
    func batch(maxRecords: Int, maxBytes: Int) -> [Entry] {
        state.withLock { state in
            var batch: [Entry] = []
            var bytes = 0
            var index = state.head
            while index < state.entries.count, batch.count < maxRecords {
                let entry = state.entries[index]
                if !batch.isEmpty && bytes + entry.size > maxBytes { break }
                batch.append(entry)
                bytes += entry.size
                index += 1
            }
            return batch
        }
    }

    /// Removes every record up to `sequence` (those of a batch the collector took; some
    /// may have been dropped meanwhile).
    func remove(through sequence: UInt64) {
        state.withLock { state in
            while state.count > 0, state.entries[state.head].sequence <= sequence { _ = state.dropFirst() }
        }
    }

    var count: Int { state.withLock { $0.count } }
    var bytes: Int { state.withLock { $0.bytes } }
}
