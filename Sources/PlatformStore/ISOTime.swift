import Foundation

/// ISO 8601 times as the platform reads and writes them: `2026-12-07T15:00:00.123Z` out,
/// with or without fractional seconds and with any zone in.
public enum ISOTime {
    /// Milliseconds since the epoch of `text`, nil when it is not an ISO 8601 date-time
    /// with a zone.
    public static func milliseconds(_ text: String) -> Int64? {
        guard text.utf8.count <= 64 else { return nil }
        if let date = try? Date(text, strategy: fractional) { return Clock.milliseconds(date) }
        if let date = try? Date(text, strategy: Date.ISO8601FormatStyle()) { return Clock.milliseconds(date) }
        return nil
    }

    public static func text(_ milliseconds: Int64) -> String {
        Date(timeIntervalSince1970: Double(milliseconds) / 1000).formatted(fractional)
    }

    private static let fractional = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
}
