/// Finds where the tracer's `ready` line ends in its output, block by block (a line may
/// span blocks): where a targeted run's target lines are inserted. Only whole lines are
/// compared with the marker, and only in the first `TraceRun.readySearchLimit` bytes; after
/// that, or once found, it answers nil for good.
struct ReadyLineEnd {
    private var line: [UInt8] = []
    private var scanned = 0
    private var done = false

    /// The offset in `bytes` just after the `ready` line's newline, the first time it is seen.
    mutating func scan(_ bytes: UnsafeRawBufferPointer) -> Int? {
        guard !done else { return nil }
        for (index, byte) in bytes.enumerated() {
            scanned += 1
            if byte == UInt8(ascii: "\n") {
                if line.starts(with: TraceRun.readyMarker) {
                    done = true
                    return index + 1
                }
                line.removeAll(keepingCapacity: true)
            } else if line.count < TraceRun.readyMarker.count {
                line.append(byte)
            }
            if scanned >= TraceRun.readySearchLimit {
                done = true
                return nil
            }
        }
        return nil
    }
}
