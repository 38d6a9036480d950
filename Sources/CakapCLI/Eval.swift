import ArgumentParser
import Foundation
import Provisioning
import Tutoring

/// `cakap eval`: the tutor measured on learner data, as markdown reports.
struct Eval: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure the tutor on evaluation data (markdown reports).", subcommands: [GEC.self])

    /// `cakap eval gec`: GLEU (JFLEG's definition, several references) of each correction system.
    struct GEC: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "gec", abstract: "GLEU of the correction systems on a source file and its references.")

        @Option(help: "Learner sentences, one per line (tokenised, as JFLEG).") var src: String
        @Option(parsing: .upToNextOption, help: "Reference corrections, one file each, aligned by line.")
        var refs: [String]
        @Option(help: "Write the markdown report here.") var report: String?

        func run() async throws {
            let sources = try Self.lines(src)
            let references = try refs.map(Self.lines)
            guard !references.isEmpty, references.allSatisfy({ $0.count == sources.count }) else {
                throw ValidationError("every --refs file needs exactly \(sources.count) lines, like --src")
            }
            let perSentence = sources.indices.map { index in references.map { $0[index] } }
            let started = Date()
            let lints = try HarperProcess(executable: CakapPaths.fromEnvironment().harperCLI).lint(sources)
            let harperSeconds = Date().timeIntervalSince(started)
            let harper = zip(sources, lints).map { HarperCorrector.correct($0, lints: $1) }
            var rows: [(String, Double)] = []
            rows.append(
                ("unchanged source", GLEU.score(sources: sources, references: perSentence, hypotheses: sources)))
            rows.append(
                (
                    "Harper only (first suggestion, no Formatting/Punctuation/Readability)",
                    GLEU.score(sources: sources, references: perSentence, hypotheses: harper)
                ))
            var kinds: [String: Int] = [:]
            for lint in lints.joined() { kinds[lint.kind, default: 0] += 1 }
            var text = "# GEC evaluation\n\n"
            text += "`cakap eval gec --src \(src) --refs \(refs.joined(separator: " "))` on \(Self.today())\n\n"
            text += "\(sources.count) sentences, \(references.count) references each; GLEU as JFLEG defines it "
            text += "(mean of 500 seeded reference draws).\n\n| system | GLEU |\n|---|---|\n"
            for (name, score) in rows { text += "| \(name) | \(String(format: "%.3f", score)) |\n" }
            text +=
                "\nHarper findings by kind (all kinds; the corrector skips \(HarperCorrector.ignoredKinds.sorted().joined(separator: ", "))):\n\n"
            text += "| kind | findings |\n|---|---|\n"
            for (kind, count) in kinds.sorted(by: { ($1.value, $0.key) < ($0.value, $1.key) }) {
                text += "| \(kind) | \(count) |\n"
            }
            text += String(format: "\nHarper took %.1f s for the whole file (one process).\n", harperSeconds)
            print(text)
            if let report { try Data(text.utf8).write(to: URL(fileURLWithPath: report)) }
        }

        static func lines(_ path: String) throws -> [String] {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw ValidationError("cannot read \(path)")
            }
            var lines = text.components(separatedBy: "\n")
            if lines.last == "" { lines.removeLast() }
            return lines
        }

        static func today() -> String {
            Date().formatted(.iso8601.year().month().day())
        }
    }
}
