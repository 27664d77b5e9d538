import Synchronization

/// Header values that have verified once, so that later requests carrying the same
/// value cost a hash-table lookup instead of an argon2 run.
///
/// Design: entries are found by Swift's `Hasher`, which is seeded randomly per process
/// (so bucket timing says nothing an attacker can use), and the presented value is then
/// compared with the stored one by `constantTimeEquals`. Only values that verified are
/// ever stored, and at most `capacity` of them; when full, the least recently used
/// entry goes. Capacity 0 disables the cache (every request pays argon2).
public final class VerifiedHeaderCache: Sendable {
    private struct Entry {
        var value: [UInt8]
        var lastUsed: UInt64
    }

    private struct State {
        var buckets: [Int: [Entry]] = [:]
        var count = 0
        var clock: UInt64 = 0
    }

    public let capacity: Int
    private let state = Mutex(State())

    public init(capacity: Int) {
        self.capacity = capacity
    }

    public var count: Int { state.withLock { $0.count } }

    public func contains(_ headerValue: String) -> Bool {
        guard capacity > 0 else { return false }
        let bytes = Array(headerValue.utf8)
        let key = bytes.hashValue
        return state.withLock { state in
            state.clock += 1
            guard var bucket = state.buckets[key] else { return false }
            var found = false
            for index in bucket.indices where constantTimeEquals(bucket[index].value, bytes) {
                bucket[index].lastUsed = state.clock
                found = true
            }
            if found { state.buckets[key] = bucket }
            return found
        }
    }

    public func insert(_ headerValue: String) {
        guard capacity > 0 else { return }
        let bytes = Array(headerValue.utf8)
        let key = bytes.hashValue
        state.withLock { state in
            state.clock += 1
            if let bucket = state.buckets[key], bucket.contains(where: { constantTimeEquals($0.value, bytes) }) { return }
            if state.count >= capacity { Self.evictLeastRecentlyUsed(&state) }
            state.buckets[key, default: []].append(Entry(value: bytes, lastUsed: state.clock))
            state.count += 1
        }
    }

    /// A linear scan: eviction only happens when more distinct valid headers than
    /// `capacity` are in use, and only holders of the secret can make valid headers.
    private static func evictLeastRecentlyUsed(_ state: inout State) {
        var oldest: (key: Int, index: Int, used: UInt64)?
        for (key, bucket) in state.buckets {
            for (index, entry) in bucket.enumerated() where entry.lastUsed < (oldest?.used ?? .max) {
                oldest = (key, index, entry.lastUsed)
            }
        }
        guard let oldest else { return }
        state.buckets[oldest.key]!.remove(at: oldest.index)
        if state.buckets[oldest.key]!.isEmpty { state.buckets[oldest.key] = nil }
        state.count -= 1
    }
}
