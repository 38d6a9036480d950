import Foundation

/// RFC 3339 timestamps with nanosecond-style fractions, as Ollama writes them.
public enum Timestamp {
    /// `date` as `2026-11-29T18:00:00.123Z`.
    public static func rfc3339(_ date: Date) -> String {
        style.format(date)
    }

    /// Built once: a stream formats one timestamp per token.
    static let style = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
}
