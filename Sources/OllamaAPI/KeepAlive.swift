import Foundation

/// How long a model stays loaded after a request: a Go duration string (`"5m"`, `"1h30m"`,
/// `"0"`) or a number of seconds. Negative means forever, zero means unload now.
public struct KeepAlive: Codable, Sendable, Equatable {
    /// The duration; `nil` means "forever".
    public var duration: Duration?

    public init(duration: Duration?) {
        self.duration = duration
    }

    /// Ollama's default when a request says nothing: five minutes.
    public static let ollamaDefault = KeepAlive(duration: .seconds(300))

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let seconds = try? container.decode(Double.self) {
            self.duration = seconds < 0 ? nil : .milliseconds(Int64((seconds * 1000).rounded()))
            return
        }
        let text = try container.decode(String.self)
        guard let parsed = KeepAlive(parsing: text) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "keep_alive: invalid duration '\(text)'")
        }
        self = parsed
    }

    /// Parses a Go duration string such as `"300ms"`, `"1.5h"`, `"2h45m"`, `"-1"`, `"0"`.
    public init?(parsing text: String) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if let seconds = Double(trimmed) {
            self.duration = seconds < 0 ? nil : .milliseconds(Int64((seconds * 1000).rounded()))
            return
        }
        var rest = Substring(trimmed)
        var negative = false
        if rest.first == "-" {
            negative = true
            rest = rest.dropFirst()
        } else if rest.first == "+" {
            rest = rest.dropFirst()
        }
        let units: [(String, Double)] = [
            ("ns", 1e-9), ("us", 1e-6), ("µs", 1e-6), ("ms", 1e-3), ("s", 1), ("m", 60), ("h", 3600),
        ]
        var total = 0.0
        guard !rest.isEmpty else { return nil }
        while !rest.isEmpty {
            let number = rest.prefix { $0.isNumber || $0 == "." }
            guard !number.isEmpty, let value = Double(number) else { return nil }
            rest = rest.dropFirst(number.count)
            guard let unit = units.first(where: { rest.hasPrefix($0.0) }) else { return nil }
            rest = rest.dropFirst(unit.0.count)
            total += value * unit.1
        }
        self.duration = negative ? nil : .milliseconds(Int64((total * 1000).rounded()))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        guard let duration else {
            try container.encode(-1)
            return
        }
        let (seconds, attoseconds) = duration.components
        try container.encode(Double(seconds) + Double(attoseconds) / 1e18)
    }
}
