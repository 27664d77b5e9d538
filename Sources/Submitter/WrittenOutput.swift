import PlatformWire

/// What a delivery reads from the writer of the file it sends: how many bytes are
/// written so far, and, once nothing more will be written, what `finished` reports. The
/// writer is a tracer for the endpoint, but the Submitter knows only this.
public struct WrittenOutput: Sendable, Equatable {
    public var bytesWritten: Int64
    /// Set once the file is complete: `finished` goes out after its last byte.
    public var finished: FinishedReport?

    public init(bytesWritten: Int64, finished: FinishedReport?) {
        self.bytesWritten = bytesWritten
        self.finished = finished
    }
}
