import OllamaAPI

/// Durations written as Ollama writes them (`30s`, `5m`, `1h30m`, or plain seconds).
enum DurationText {
    /// The duration, or nil when the text is not one. Negative values are not accepted here.
    static func parse(_ text: String) -> Duration? {
        KeepAlive(parsing: text)?.duration
    }
}
