/// How far a run's delivery has come: what the delivery advances, what is persisted at
/// every durable acknowledgement (one column per property, `DeliveryRecord`), what a
/// restarted endpoint resumes from, and what a run's status shows. One type for all four:
/// a new counter is one property here, with its default, and one column in a migration.
public struct DeliveryCursor: Sendable, Equatable, Codable {
    public var startAcknowledged = false
    /// Chunks the platform acknowledged (or refused for good): the next chunk's `no`.
    public var chunksAcknowledged = 0
    /// Bytes of the run file covered by those chunks: the next chunk's offset.
    public var bytesAcknowledged: Int64 = 0
    public var finishedAcknowledged = false
    public var retries = 0
    /// Messages the platform refused with a status that is never retried (400, 413, 422).
    public var refusedMessages = 0
    public var lastDeliveryError: String?
    /// The platform's last HTTP status for this run's messages (any status, 2xx too).
    public var lastStatusCode: Int?
    /// The length of the next chunk when it is cut short (a flush, or the tracer's last
    /// bytes), made durable before it is sent: if the endpoint dies before its
    /// acknowledgement, the chunk goes out again with the same bytes, whatever the output
    /// grew to or the flush setting became meanwhile. Nil: the next chunk is a full one.
    public var shortChunkLength: Int?

    public init() {}
}
