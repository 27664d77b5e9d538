import Foundation

/// Times in operator answers: ISO 8601 in UTC with milliseconds (`2026-12-07T15:04:39.123Z`).
public enum ISO8601Milliseconds {
    public static func text(_ milliseconds: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date(timeIntervalSince1970: Double(milliseconds) / 1000))
    }
}
