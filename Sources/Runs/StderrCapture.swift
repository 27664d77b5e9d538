import Foundation

/// Keeps a tracer's stderr for the `finished` message without letting a flood grow
/// memory: the first `headLimit` bytes and the last `tailLimit` bytes, with a note of
/// how much was dropped in between. The stream itself is always drained.
struct StderrCapture {
    let headLimit: Int
    let tailLimit: Int
    private var head: [UInt8] = []
    private var tail: [UInt8] = []
    private(set) var totalBytes = 0

    init(headLimit: Int = 48 * 1024, tailLimit: Int = 16 * 1024) {
        self.headLimit = headLimit
        self.tailLimit = tailLimit
    }

    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        totalBytes += bytes.count
        var rest = bytes[...]
        if head.count < headLimit {
            let taken = rest.prefix(headLimit - head.count)
            head.append(contentsOf: taken)
            rest = rest.dropFirst(taken.count)
        }
        guard !rest.isEmpty else { return }
        tail.append(contentsOf: rest.suffix(tailLimit))
        if tail.count > 2 * tailLimit { tail.removeFirst(tail.count - tailLimit) }
    }

    var text: String {
        let kept = tail.suffix(tailLimit)
        let dropped = totalBytes - head.count - kept.count
        var bytes = head
        if dropped > 0 { bytes += Array("\n[lambda-endpoint: \(dropped) bytes of stderr dropped]\n".utf8) }
        bytes += kept
        return String(decoding: bytes, as: UTF8.self)
    }
}
