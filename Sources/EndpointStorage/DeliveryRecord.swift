import GRDB
import PlatformWire

/// One row of the `delivery` table: a run's `DeliveryCursor`, one column per property,
/// keyed by the run's path (and removed with its `run` row).
struct DeliveryRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "delivery"

    enum Columns {
        static let filePath = Column(CodingKeys.filePath)
    }

    var filePath: String
    var cursor: DeliveryCursor

    init(filePath: String, cursor: DeliveryCursor) {
        self.filePath = filePath
        self.cursor = cursor
    }

    enum CodingKeys: String, CodingKey { case filePath }

    // The cursor's properties are the row's other columns: decoded and encoded from the
    // same row, so a property added to the cursor needs nothing here.
    init(from decoder: any Decoder) throws {
        filePath = try decoder.container(keyedBy: CodingKeys.self).decode(String.self, forKey: .filePath)
        cursor = try DeliveryCursor(from: decoder)
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(filePath, forKey: .filePath)
        try cursor.encode(to: encoder)
    }
}

/// A run as stored: its row and its delivery's position.
public struct StoredRun: Equatable, Sendable {
    public var run: RunRecord
    public var delivery: DeliveryCursor

    public init(run: RunRecord, delivery: DeliveryCursor) {
        self.run = run
        self.delivery = delivery
    }
}
