import Foundation
import PlatformStore
import PlatformWire

/// A run as `GET /api/runs` and `GET /api/runs/{id}` show it (times ISO 8601; `gaps` the
/// `["resumed", stoppedAtNs, resumedAtNs]` tuples seen in its stream).
struct RunView: Encodable {
    let record: RunRecord

    enum CodingKeys: String, CodingKey {
        case id, endpoint, session, filePath, analysis, started, finished, code, stderr, bytes, chunks, complete, gaps
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(record.id, forKey: .id)
        try container.encode(record.endpoint, forKey: .endpoint)
        // Absent values are null, not missing keys: one shape for every run.
        try container.encode(record.session, forKey: .session)
        try container.encode(record.filePath, forKey: .filePath)
        try container.encode(record.analysis, forKey: .analysis)
        try container.encode(ISOTime.text(record.started), forKey: .started)
        try container.encode(record.finished.map(ISOTime.text), forKey: .finished)
        try container.encode(record.code, forKey: .code)
        try container.encode(record.stderr, forKey: .stderr)
        try container.encode(record.bytes, forKey: .bytes)
        try container.encode(record.chunks, forKey: .chunks)
        try container.encode(record.complete, forKey: .complete)
        let gaps = ResumeGapScanner.gaps(fromJSON: record.gaps).map {
            [JSONValue.string("resumed"), .integer($0.stoppedAtNs), .integer($0.resumedAtNs)]
        }
        try container.encode(gaps, forKey: .gaps)
    }
}
