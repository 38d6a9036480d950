import Foundation

/// The CEFR level of English words, 1 (A1) to 6 (C2), averaged over their parts of speech: the
/// word list of the `cefrpy` package (MIT), exported by `cakap setup` to a `word<TAB>level` file.
public struct WordLevels: Sendable {
    let levels: [String: Double]

    public init(levels: [String: Double]) {
        self.levels = levels
    }

    /// Parses `word<TAB>level` lines; other lines are skipped.
    public init(tsv: String) {
        var levels: [String: Double] = [:]
        levels.reserveCapacity(180_000)
        for line in tsv.split(separator: "\n") {
            guard let tab = line.firstIndex(of: "\t"), let level = Double(line[line.index(after: tab)...]) else {
                continue
            }
            levels[String(line[..<tab])] = level
        }
        self.levels = levels
    }

    /// Reads the exported file; an empty list (no levels known) when it is missing.
    public static func load(path: String) -> WordLevels {
        guard let data = FileManager.default.contents(atPath: path) else { return WordLevels(levels: [:]) }
        return WordLevels(tsv: String(decoding: data, as: UTF8.self))
    }

    public var isEmpty: Bool { levels.isEmpty }

    /// The level of a word (case-insensitive), trying simple inflections (`cats` → `cat`,
    /// `walked` → `walk`); nil when unknown, e.g. a name or a misspelling.
    public func level(of word: String) -> Double? {
        let lowered = word.lowercased().replacingOccurrences(of: "’", with: "'")
        if let level = levels[lowered] { return level }
        for suffix in ["'s", "s", "es", "ed", "d", "ing", "ly"] where lowered.hasSuffix(suffix) {
            if let level = levels[String(lowered.dropLast(suffix.count))] { return level }
        }
        return nil
    }
}

/// A CEFR band.
public enum CEFRBand: String, Sendable, Codable, CaseIterable, Comparable {
    case a1 = "A1", a2 = "A2", b1 = "B1", b2 = "B2", c1 = "C1", c2 = "C2"

    public static func < (lhs: CEFRBand, rhs: CEFRBand) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }

    /// The band of an overall score 0–100 (cut points: 20, 35, 50, 65, 80; a heuristic, see
    /// docs/tutor.md — ELLIPSE has no CEFR labels to calibrate against).
    public static func of(overall: Double) -> CEFRBand {
        switch overall {
        case ..<20: .a1
        case ..<35: .a2
        case ..<50: .b1
        case ..<65: .b2
        case ..<80: .c1
        default: .c2
        }
    }

    /// What the partner should sound like at this band.
    var partnerStyle: String {
        switch self {
        case .a1, .a2: "very simple, common words and short sentences (A2 and below)"
        case .b1: "everyday words and clear, short sentences (B1)"
        case .b2: "natural everyday English with some idioms (B2)"
        case .c1, .c2: "natural, idiomatic English as between fluent speakers (C1–C2)"
        }
    }
}
