import Foundation

/// The table of a fan-out: a started run's file path, a failure's error.
public enum FanOutTable {
    public static func render(_ summary: FanOutSummary) -> String {
        TextTable.render(
            header: ["UUID", "MODE", "STATE", "STATUS", "FILEPATH"],
            rows: summary.endpoints.map { endpoint in
                let detail =
                    endpoint.body?["filePath"]?.text ?? endpoint.body?["error"]?.text ?? endpoint.body?.text
                    ?? (endpoint.state == .queued ? "" : "-")
                return [endpoint.uuid, endpoint.mode.rawValue, endpoint.state.rawValue, endpoint.status.map(String.init) ?? "-", detail]
            }
        )
    }
}

/// Columns padded to their widest cell, for a person reading a terminal.
public enum TextTable {
    public static func render(header: [String], rows: [[String]]) -> String {
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        return all.map { row in
            row.enumerated().map { column, cell in
                column == row.count - 1 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}
