import Foundation
import GRDB
import TraceModel

/// One row of the `template` table. List columns hold JSON arrays (GRDB encodes
/// nested Codable values as JSON text).
struct TemplateRecord: Codable, FetchableRecord, MutablePersistableRecord {
    static let databaseTableName = "template"

    var id: Int64?
    var process: String
    var functions: [String]
    var environment: [String]
    var value: [String]
    var options: [String]
    var traceType: [String]
    var buildId: String?
    var sha256: String?
    /// JSON: `process` when the template was stored.
    var binary: BinaryIdentity?
    var createdAt: Date

    init(_ template: TraceTemplate, binary: BinaryIdentity?, createdAt: Date = Date()) {
        self.id = nil
        self.process = template.process
        self.functions = template.functions
        self.environment = template.environment
        self.value = template.value
        self.options = template.options
        self.traceType = template.traceType
        self.buildId = template.buildId
        self.sha256 = template.sha256
        self.binary = binary
        self.createdAt = createdAt
    }

    mutating func didInsert(_ inserted: InsertionSuccess) {
        id = inserted.rowID
    }

    var template: TraceTemplate {
        TraceTemplate(
            process: process,
            functions: functions,
            environment: environment,
            value: value,
            options: options,
            traceType: traceType,
            buildId: buildId,
            sha256: sha256
        )
    }

    var stored: StoredTemplate { StoredTemplate(templateId: id ?? 0, info: template, binary: binary) }
}
