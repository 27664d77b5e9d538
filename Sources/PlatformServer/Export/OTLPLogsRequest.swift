import ProtobufWire

/// `ExportLogsServiceRequest` (opentelemetry-proto's collector/logs/v1/logs_service.proto
/// and logs/v1/logs.proto) for a batch of records: one `ResourceLogs` per endpoint (its
/// `host.name` and `lambda.endpoint`), in the order each first appears, holding one
/// `ScopeLogs` of scope `lambda-platform` with that endpoint's records in order.
public enum OTLPLogsRequest {
    public static let scopeName = "lambda-platform"

    public static func encoded(_ records: [OTLPLogRecord]) -> [UInt8] {
        var resources: [(endpoint: String, hostname: String?, records: [OTLPLogRecord])] = []
        var indexOf: [String: Int] = [:]
        for record in records {
            let key = record.endpoint + "\n" + (record.hostname ?? "")
            if let index = indexOf[key] {
                resources[index].records.append(record)
            } else {
                indexOf[key] = resources.count
                resources.append((record.endpoint, record.hostname, [record]))
            }
        }
        var request = ProtobufWriter()
        for resource in resources {
            // ExportLogsServiceRequest.resource_logs = 1
            request.message(1) { resourceLogs in
                // ResourceLogs.resource = 1: Resource.attributes = 1
                resourceLogs.message(1) { attributes in
                    if let hostname = resource.hostname { keyValue(&attributes, field: 1, "host.name", .string(hostname)) }
                    keyValue(&attributes, field: 1, "lambda.endpoint", .string(resource.endpoint))
                }
                // ResourceLogs.scope_logs = 2
                resourceLogs.message(2) { scopeLogs in
                    scopeLogs.message(1) { scope in scope.string(1, scopeName) }  // ScopeLogs.scope: InstrumentationScope.name
                    for record in resource.records {
                        scopeLogs.message(2) { logRecord(&$0, record) }  // ScopeLogs.log_records = 2
                    }
                }
            }
        }
        return request.bytes
    }

    /// LogRecord: time_unix_nano = 1 (fixed64), body = 5, attributes = 6,
    /// observed_time_unix_nano = 11 (fixed64).
    static func logRecord(_ writer: inout ProtobufWriter, _ record: OTLPLogRecord) {
        writer.fixed64(1, record.timeUnixNano)
        writer.message(5) { anyValue(&$0, .string(record.body)) }
        for attribute in record.attributes { keyValue(&writer, field: 6, attribute.key, attribute.value) }
        writer.fixed64(11, record.observedTimeUnixNano)
    }

    /// KeyValue: key = 1, value = 2 (AnyValue).
    static func keyValue(_ writer: inout ProtobufWriter, field: Int, _ key: String, _ value: OTLPLogRecord.Value) {
        writer.message(field) { pair in
            pair.string(1, key)
            pair.message(2) { anyValue(&$0, value) }
        }
    }

    /// AnyValue: string_value = 1, bool_value = 2.
    static func anyValue(_ writer: inout ProtobufWriter, _ value: OTLPLogRecord.Value) {
        switch value {
        case .string(let text): writer.string(1, text)
        case .bool(let flag): writer.bool(2, flag)
        }
    }
}
