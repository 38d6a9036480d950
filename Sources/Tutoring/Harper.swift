import ChildProcess
import Foundation

/// One lint of Harper (`harper-cli lint --format json`), as it prints it.
public struct HarperLint: Decodable, Sendable, Equatable {
    public struct Span: Decodable, Sendable, Equatable {
        /// Offsets in Unicode scalars of the linted text, end exclusive.
        public var charStart: Int
        public var charEnd: Int

        enum CodingKeys: String, CodingKey {
            case charStart = "char_start"
            case charEnd = "char_end"
        }
    }
    /// The rule, e.g. `RegularIrregulars`.
    public var rule: String
    /// Harper's category: Spelling, Grammar, Agreement, Formatting, Punctuation, …
    public var kind: String
    public var span: Span
    public var message: String
    /// `Replace with: “x”`, `Remove error`, `Insert “x”` (after the span).
    public var suggestions: [String]
    public var matchedText: String

    enum CodingKeys: String, CodingKey {
        case rule, kind, span, message, suggestions
        case matchedText = "matched_text"
    }

    /// The first suggestion as an edit of the text, or nil when it is none of the known forms.
    public var firstEdit: TextEdit? {
        guard let suggestion = suggestions.first else { return nil }
        if suggestion == "Remove error" {
            return TextEdit(start: span.charStart, end: span.charEnd, replacement: "")
        }
        if let text = Self.quoted(suggestion, after: "Replace with: ") {
            return TextEdit(start: span.charStart, end: span.charEnd, replacement: text)
        }
        if let text = Self.quoted(suggestion, after: "Insert ") {
            return TextEdit(start: span.charEnd, end: span.charEnd, replacement: text)
        }
        return nil
    }

    static func quoted(_ suggestion: String, after prefix: String) -> String? {
        guard suggestion.hasPrefix(prefix) else { return nil }
        var rest = Substring(suggestion.dropFirst(prefix.count))
        guard rest.first == "“", rest.last == "”" else { return nil }
        rest = rest.dropFirst().dropLast()
        return String(rest)
    }
}

/// A replacement of the Unicode scalars `start..<end` of a text.
public struct TextEdit: Sendable, Equatable {
    public var start: Int
    public var end: Int
    public var replacement: String

    public init(start: Int, end: Int, replacement: String) {
        self.start = start
        self.end = end
        self.replacement = replacement
    }

    /// Applies edits that do not overlap (a later one overlapping an earlier one is dropped).
    public static func apply(_ edits: [TextEdit], to text: String) -> String {
        var scalars = Array(text.unicodeScalars)
        var accepted: [TextEdit] = []
        for edit in edits.sorted(by: { ($0.start, $0.end) < ($1.start, $1.end) }) {
            guard edit.start >= 0, edit.end <= scalars.count, edit.start <= edit.end else { continue }
            if let last = accepted.last, edit.start < last.end || (edit.start == last.start && edit.start == edit.end) {
                continue
            }
            accepted.append(edit)
        }
        for edit in accepted.reversed() {
            scalars.replaceSubrange(edit.start..<edit.end, with: edit.replacement.unicodeScalars)
        }
        var result = String.UnicodeScalarView()
        result.append(contentsOf: scalars)
        return String(result)
    }
}

/// Runs `harper-cli` on texts (one process per batch: it takes about 0.5 s to start).
public struct HarperProcess: Sendable {
    public let executable: String
    /// The longest one run may take before it is killed and the lint fails. Default 30 s.
    public let timeout: Duration
    /// Rules Harper does not run. Default `defaultIgnoredRules`.
    public let ignoredRules: [String]

    /// `LongSentences` flags a whole long sentence, and Harper drops every lint that overlaps a
    /// kept one, so a learner's long sentence got no other finding at all (a misspelt "preffer"
    /// went unmarked; issue 18). Its advice is style, never shown in chat.
    public static let defaultIgnoredRules = ["LongSentences"]

    public init(executable: String, timeout: Duration = .seconds(30), ignoredRules: [String] = defaultIgnoredRules) {
        self.executable = executable
        self.timeout = timeout
        self.ignoredRules = ignoredRules
    }

    /// Harper could not run or printed something else than its JSON.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// The lints of each text, in order. Texts are linted as one document, a line each, so they
    /// must not contain line breaks (they are replaced by spaces, which keeps offsets).
    public func lint(_ texts: [String]) throws -> [[HarperLint]] {
        try lint(documents: [texts])[0]
    }

    /// The lints of each text of each document, in order: one `harper-cli` run, one input file
    /// per document, so documents never see each other's text (they may be different learners'
    /// messages, `HarperBatcher`). Harper takes about 0.5 s of CPU to start and very little per
    /// text, so one run for many documents costs about what one run for one does.
    public func lint(documents: [[String]]) throws -> [[[HarperLint]]] {
        guard !documents.isEmpty else { return [] }
        let folder = NSTemporaryDirectory() + "cakap-harper-\(UUID().uuidString)"
        // Owner only: the folder holds learners' texts (issue 19).
        try FileManager.default.createDirectory(
            atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let lines = documents.map { texts in
            texts.map { $0.replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ") }
        }
        var inputs: [String] = []
        for (index, document) in lines.enumerated() {
            inputs.append(folder + "/input-\(index).txt")
            try Data(document.joined(separator: "\n").utf8).write(to: URL(fileURLWithPath: inputs[index]))
        }
        let process = try ChildProcess(
            executable: executable,
            arguments: ["lint", "--format", "json", "--no-color", "--quiet"]
                + ignoredRules.flatMap { ["--ignore", $0] }
                + inputs,
            outputPath: folder + "/out.json", errorPath: folder + "/err.txt")
        _ = process.waitUntilExit(killingAfter: timeout)  // non-zero when it found lints
        struct FileResult: Decodable {
            var file: String
            var lints: [HarperLint]
        }
        let output = Self.jsonPart(of: FileManager.default.contents(atPath: folder + "/out.json") ?? Data())
        guard let files = try? JSONDecoder().decode([FileResult].self, from: output) else {
            let error = (try? String(contentsOfFile: folder + "/err.txt", encoding: .utf8)) ?? ""
            throw Failure(description: "harper-cli gave no JSON: \(error.prefix(300))")
        }
        // Harper names each result by the input's file name.
        let byName = Dictionary(files.map { ($0.file, $0.lints) }, uniquingKeysWith: +)
        return lines.enumerated().map { index, document in
            Self.split(byName["input-\(index).txt"] ?? [], into: document)
        }
    }

    /// Maps the lints of a document (its lines joined by line breaks) back to each line.
    static func split(_ lints: [HarperLint], into lines: [String]) -> [[HarperLint]] {
        var starts: [Int] = []
        var offset = 0
        for line in lines {
            starts.append(offset)
            offset += line.unicodeScalars.count + 1
        }
        var perText = [[HarperLint]](repeating: [], count: lines.count)
        for var lint in lints {
            let index = max(0, (starts.lastIndex { $0 <= lint.span.charStart }) ?? 0)
            guard index < lines.count else { continue }
            lint.span.charStart -= starts[index]
            lint.span.charEnd -= starts[index]
            guard lint.span.charEnd <= lines[index].unicodeScalars.count else { continue }  // spans a line break
            perText[index].append(lint)
        }
        return perText
    }

    /// Harper 2.13 sometimes prints debugging lines (`gerund_form: …`) before its JSON on
    /// standard output (seen on long essays); the JSON starts at the first line that opens with `[`.
    static func jsonPart(of output: Data) -> Data {
        let bytes = [UInt8](output)
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "[") { return Data(bytes[index...]) }
            guard let newline = bytes[index...].firstIndex(of: UInt8(ascii: "\n")) else { break }
            index = newline + 1
        }
        return output
    }
}
