import Foundation

/// RFC 3339 timestamps with nanosecond-style fractions, as Ollama writes them.
public enum Timestamp {
    /// `date` as `2026-11-29T18:00:00.123456Z`.
    public static func rfc3339(_ date: Date) -> String {
        Date.ISO8601FormatStyle(includingFractionalSeconds: true).format(date)
    }
}
