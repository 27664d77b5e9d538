/// A hole in a run's stream: the endpoint stopped (or died) at `stoppedAtNs` and the
/// relaunched tracer's probes were live again at `resumedAtNs`, both wall-clock
/// nanoseconds since 1970. The endpoint writes it into the stream as one line right after
/// the relaunched tracer's `ready` line (`streamLine`); the platform finds it there
/// (`ResumeGapScanner`); both show it in a run's status.
public struct ResumeGap: Codable, Sendable, Equatable {
    public var stoppedAtNs: Int64
    public var resumedAtNs: Int64

    public init(stoppedAtNs: Int64, resumedAtNs: Int64) {
        self.stoppedAtNs = stoppedAtNs
        self.resumedAtNs = resumedAtNs
    }

    /// `{"type": "value", "data": ["resumed",S,R]}` and a newline, as bpftrace prints a
    /// tuple with `-f json` and as the endpoint's other lines after `ready` are written.
    public var streamLine: [UInt8] {
        Array(#"{"type": "value", "data": ["resumed",\#(stoppedAtNs),\#(resumedAtNs)]}"#.utf8) + [0x0A]
    }
}
