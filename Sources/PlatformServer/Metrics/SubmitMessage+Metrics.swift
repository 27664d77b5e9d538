import PlatformWire

extension SubmitMessage {
    /// How `/metrics` counts this message.
    var metricKind: PlatformMetrics.MessageKind {
        switch self {
        case .start: return .start
        case .chunk: return .chunk
        case .finished: return .finished
        }
    }

    /// The raw bytes a chunk carries (0 for start and finished).
    var chunkBytes: Int {
        if case .chunk(_, _, let bytes) = self { return bytes.count }
        return 0
    }
}
