import Logging
import Synchronization

/// A `Logger` whose lines are kept for a test to read (level, message, metadata as text).
final class CapturedLog: Sendable {
    struct Line: Sendable {
        let level: Logger.Level
        let message: String
        let metadata: [String: String]
    }

    private let lines = Mutex<[Line]>([])

    var logger: Logger { Logger(label: "captured") { _ in Handler(log: self) } }

    var captured: [Line] { lines.withLock { $0 } }

    func append(_ line: Line) { lines.withLock { $0.append(line) } }

    struct Handler: LogHandler {
        let log: CapturedLog
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(
            level: Logger.Level,
            message: Logger.Message,
            metadata: Logger.Metadata?,
            source: String,
            file: String,
            function: String,
            line: UInt
        ) {
            let all = self.metadata.merging(metadata ?? [:]) { $1 }
            log.append(Line(level: level, message: "\(message)", metadata: all.mapValues { "\($0)" }))
        }
    }
}
