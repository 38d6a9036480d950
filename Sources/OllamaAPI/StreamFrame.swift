/// The NDJSON line of one streamed token, written directly rather than through `JSONEncoder`:
/// a stream writes one per token, and the encoder's cost per line was a measurable share of the
/// worker's CPU on 2 cores. The final line (with statistics) still goes through the encoder.
public struct StreamFrame: Sendable {
    private let prefix: [UInt8]
    private let middle: [UInt8]
    private let suffix: [UInt8]

    /// A `/api/generate` token line: `{"model":…,"created_at":…,"response":…,"done":false}`.
    public static func generate(model: String) -> StreamFrame {
        StreamFrame(
            prefix: #"{"model":"# + JSONString.quoted(model) + #","created_at":""#, middle: #"","response":"#,
            suffix: #","done":false}"#)
    }

    /// A `/api/chat` token line: `{"model":…,"created_at":…,"message":{"role":"assistant","content":…},"done":false}`.
    public static func chat(model: String) -> StreamFrame {
        StreamFrame(
            prefix: #"{"model":"# + JSONString.quoted(model) + #","created_at":""#,
            middle: #"","message":{"role":"assistant","content":"#, suffix: #"},"done":false}"#)
    }

    init(prefix: String, middle: String, suffix: String) {
        self.prefix = Array(prefix.utf8)
        self.middle = Array(middle.utf8)
        self.suffix = Array(suffix.utf8)
    }

    /// The line for one piece of text at `timestamp` (RFC 3339), ending in a newline.
    public func line(piece: String, timestamp: String) -> [UInt8] {
        var bytes = prefix
        bytes.reserveCapacity(prefix.count + middle.count + suffix.count + piece.utf8.count + 40)
        bytes.append(contentsOf: timestamp.utf8)
        bytes.append(contentsOf: middle)
        JSONString.appendQuoted(piece, to: &bytes)
        bytes.append(contentsOf: suffix)
        bytes.append(0x0A)
        return bytes
    }
}

/// JSON string literals (RFC 8259 §7): quotes, backslashes and control characters escaped;
/// everything else, including non-ASCII, passes through as UTF-8.
public enum JSONString {
    /// `text` as a quoted JSON string.
    public static func quoted(_ text: String) -> String {
        var bytes: [UInt8] = []
        appendQuoted(text, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends `text` as a quoted JSON string.
    public static func appendQuoted(_ text: String, to bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [0x5C, 0x22])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: bytes.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x0D: bytes.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0x09: bytes.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case 0x00..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: [
                    0x5C, UInt8(ascii: "u"), 0x30, 0x30, hex[Int(byte >> 4)], hex[Int(byte & 0xF)],
                ])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
