import ArgumentParser
import AsyncHTTPClient
import Foundation
import Provisioning
import TutorService
import Tutoring

/// `cakap eval scores`: the tutor's scores against ELLIPSE's human scores (Pearson, Spearman).
struct EvalScores: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scores",
        abstract: "Correlate the tutor's scores with the human scores of an ELLIPSE CSV (markdown report).")

    @Option(help: "ELLIPSE CSV (full_text, Overall, Cohesion, Syntax, Vocabulary, Phraseology, Grammar, Conventions).")
    var ellipse: String
    @Option(help: "Write the markdown report here.") var report: String?
    @Option(help: "Write each essay's features and human scores as CSV (the input of tools/calibrate_scores.py).")
    var dumpFeatures: String?
    @Option(help: "Embed each essay (the all-minilm part of the score model): base URL of a worker or balancer.")
    var embed: String?
    @Option(
        help:
            "Take each essay's embedding from a CSV that --dump-features wrote with --embed for the same file (a refit's report without embedding again)."
    )
    var embeddingsFrom: String?
    @Option(help: "Also ask the model's judgement: base URL of a worker or balancer.") var llm: String?
    @Option(help: "The judging model.") var model: String = "gemma3:270m"
    @Option(help: "Judge only the first N essays (the model is slow on long essays).") var judgeLimit: Int = 100
    @Option(help: "Only the first N essays.") var limit: Int?
    @Option(help: "CEFR-SP folder (wikiauto_train.txt, wikiauto_dev.txt): report the CEFR band on its dev split.")
    var cefrSp: String?
    @Option(help: "With --cefr-sp: write both splits' features as CSV (input of tools/calibrate_scores.py --cefr).")
    var dumpCefr: String?

    /// Our aspect and its human counterpart in ELLIPSE.
    static let counterparts: [(aspect: String, human: String)] = [
        ("overall", "Overall"), ("grammar", "Grammar"), ("vocabulary", "Vocabulary"),
        ("written_fluency", "Phraseology"), ("coherence", "Cohesion"), ("clarity", "Syntax"),
    ]

    /// The human score columns the report and the features CSV read.
    static let humanColumns = counterparts.map(\.human) + ["Conventions"]

    func run() async throws {
        let rows = try ellipseRows()
        let essays = rows.records.map { $0[rows.column("full_text")!] }
        let paths = CakapPaths.fromEnvironment()
        let wordLevels = WordLevels.load(path: paths.wordLevels)
        if wordLevels.isEmpty { say("warning: no word levels at \(paths.wordLevels); run `cakap setup`") }
        let harper = HarperProcess(executable: paths.harperCLI)
        var measured = try Measured(essays: essays, harper: harper, wordLevels: wordLevels)
        try await embed(essays, into: &measured)
        measured.scores = essays.indices.map {
            ScoreEngine.scores(
                features: measured.features[$0], embedding: measured.vectors[$0], judgement: nil, language: .en)
        }
        try await judge(essays, into: &measured)
        var text = report(rows: rows, measured: measured)
        if let cefrSp { text += try cefrSection(folder: cefrSp, harper: harper, wordLevels: wordLevels) }
        print(text)
        if let report { try Data(text.utf8).write(to: URL(fileURLWithPath: report)) }
        if let dumpFeatures {
            try Data(Self.featuresCSV(rows: rows, measured: measured).utf8).write(
                to: URL(fileURLWithPath: dumpFeatures))
        }
    }

    /// What a run measured, essay by essay (indices are the CSV's records).
    struct Measured {
        var features: [ScoreFeatures]
        var vectors: [[Float]?]
        var scores: [Scores] = []
        var judgements: [Judgement?]
        var judgeSeconds: [Double] = []
        var featureSeconds: Double
        var embedSeconds: Double = 0

        /// Each essay's features (Harper in batches of 100).
        init(essays: [String], harper: HarperProcess, wordLevels: WordLevels) throws {
            let started = Date()
            var lints: [[HarperLint]] = []
            for batch in stride(from: 0, to: essays.count, by: 100) {
                lints += try harper.lint(Array(essays[batch..<min(batch + 100, essays.count)]))
            }
            features = zip(essays, lints).map { essay, lint in
                ScoreFeatures.measure(
                    conversation: [Turn(role: "user", content: essay)], lints: [lint], wordLevels: wordLevels)
            }
            featureSeconds = Date().timeIntervalSince(started)
            vectors = Array(repeating: nil, count: essays.count)
            judgements = Array(repeating: nil, count: essays.count)
        }
    }

    /// The ELLIPSE CSV with every column the report reads, cut to `--limit`.
    func ellipseRows() throws -> CSVTable {
        guard let data = FileManager.default.contents(atPath: ellipse) else {
            throw ValidationError("cannot read \(ellipse)")
        }
        var rows = try CSVTable(String(decoding: data, as: UTF8.self))
        if let limit { rows.records = Array(rows.records.prefix(limit)) }
        for name in ["full_text"] + Self.humanColumns where rows.column(name) == nil {
            throw ValidationError("\(ellipse) has no \(name) column")
        }
        return rows
    }

    /// Each essay's vector, from `--embed`'s worker or `--embeddings-from`'s CSV.
    func embed(_ essays: [String], into measured: inout Measured) async throws {
        let started = Date()
        if let embed {
            measured.vectors = try await withHTTPClient { client in
                let embedder = OllamaTextEmbedder(baseURLs: [embed], httpClient: client)
                var vectors: [[Float]?] = []
                for essay in essays { vectors.append(try? await ScoreEngine.embedLearnerText(essay, with: embedder)) }
                return vectors
            }
        }
        if let embeddingsFrom { measured.vectors = try Self.embeddings(from: embeddingsFrom, count: essays.count) }
        measured.embedSeconds = Date().timeIntervalSince(started)
    }

    /// With `--llm`, the model's judgement of the first `--judge-limit` essays, and how long each took.
    func judge(_ essays: [String], into measured: inout Measured) async throws {
        guard let llm else { return }
        let (judgements, seconds) = try await withHTTPClient { client in
            let judge = OllamaScoreJudge(baseURLs: [llm], model: model, httpClient: client)
            var judgements: [Judgement?] = []
            var seconds: [Double] = []
            for essay in essays.prefix(judgeLimit) {
                let begun = Date()
                judgements.append(try? await judge.judge(String(essay.suffix(ScoreEngine.maxJudgeCharacters))))
                seconds.append(Date().timeIntervalSince(begun))
            }
            return (judgements, seconds)
        }
        measured.judgements.replaceSubrange(0..<judgements.count, with: judgements)
        measured.judgeSeconds = seconds
    }

    /// The markdown report: correlations per aspect and per feature, the judgement, timings, the band.
    func report(rows: CSVTable, measured: Measured) -> String {
        let embedded = embed != nil || embeddingsFrom != nil
        let (essayCount, features, scores, judgements) =
            (rows.records.count, measured.features, measured.scores, measured.judgements)
        func human(_ name: String) -> [Double] { rows.records.map { Double($0[rows.column(name)!]) ?? .nan } }
        func ours(_ aspect: String) -> [Double] {
            scores.map { Double($0.aspects.first { $0.id == aspect }!.score) }
        }
        var text = "# Scores against ELLIPSE\n\n"
        text +=
            "`cakap eval scores --ellipse \(ellipse)\(embed.map { " --embed \($0)" } ?? "")\(embeddingsFrom.map { " --embeddings-from \($0)" } ?? "")\(llm.map { " --llm \($0) --model \(model) --judge-limit \(judgeLimit)" } ?? "")` on \(Eval.GEC.today())\n\n"
        text +=
            "\(essayCount) essays. Our 0–100 score of each aspect against the human 1–5 score of its counterpart. "
        text +=
            "The linear model was fitted on this same file (tools/calibrate_scores.py); its cross-validated figures "
        text +=
            "(10 folds, each essay scored by a model that never saw it) are the honest ones and are listed beside.\n\n"
        text += "| our aspect | human score | Pearson r | Spearman ρ | Pearson r, 10-fold CV |\n|---|---|---|---|---|\n"
        for (aspect, name) in Self.counterparts {
            let cv =
                Aspect(rawValue: aspect).flatMap {
                    ScoreCalibration.crossValidatedPearson[embedded ? .embedding : .features]?[$0]
                }.map { String(format: "%.3f", $0) } ?? "–"
            text += String(
                format: "| %@ | %@ | %.3f | %.3f | %@ |\n", aspect, name,
                Correlation.pearson(ours(aspect), human(name)),
                Correlation.spearman(ours(aspect), human(name)), cv)
        }
        text += "\nEach feature alone against the human Overall (Pearson r):\n\n| feature | r |\n|---|---|\n"
        let overall = human("Overall")
        for name in ScoreFeatures.modelFeatureNames {
            text += String(
                format: "| %@ | %.3f |\n", name, Correlation.pearson(features.map { $0.value(name) }, overall))
        }
        let judged = judgements.indices.filter { judgements[$0] != nil }
        if llm != nil {
            let sorted = measured.judgeSeconds.sorted()
            text += "\nThe model's judgement (\(model)) on the first \(min(judgeLimit, essayCount)) essays: "
            text += "\(judged.count) answered"
            if !judged.isEmpty {
                let judgeR = Correlation.pearson(judged.map { judgements[$0]!.overall }, judged.map { overall[$0] })
                let featureR = Correlation.pearson(judged.map { ours("overall")[$0] }, judged.map { overall[$0] })
                text += String(
                    format: "; Pearson r with the human Overall %.3f (features alone on the same essays: %.3f)", judgeR,
                    featureR)
                text += String(format: "; p50 %.1f s per essay", sorted[sorted.count / 2])
                text += String(format: ". Blend weight in use: %.2f", ScoreCalibration.judgeWeight)
            }
            text += ".\n"
        }
        text += String(
            format: "\nFeatures of all essays (Harper in batches of 100) took %.1f s", measured.featureSeconds)
        if embedded {
            text += String(
                format: "; embeddings %.1f s (%d of %d essays embedded)", measured.embedSeconds,
                measured.vectors.filter { $0 != nil }.count, essayCount)
        }
        text += ".\n"
        let bands = scores.map { Double($0.cefr?.index ?? 0) }
        text += String(
            format: "\nThe CEFR band (A1 = 0 … C2 = 5) against the human Overall: Pearson r %.3f.\n",
            Correlation.pearson(bands, human("Overall")))
        return text
    }

    /// `--dump-features`: each essay's features, human scores, judgement and vector (the input of
    /// tools/calibrate_scores.py).
    static func featuresCSV(rows: CSVTable, measured: Measured) -> String {
        let dimensions = measured.vectors.compactMap { $0?.count }.first ?? 0
        let vectorColumns = (0..<dimensions).map { "e\($0)" }
        var csv =
            (ScoreFeatures.modelFeatureNames + humanColumns + ["judge"] + vectorColumns).joined(separator: ",") + "\n"
        for (index, feature) in measured.features.enumerated() {
            let values =
                ScoreFeatures.modelFeatureNames.map { String(feature.value($0)) }
                + humanColumns.map { rows.records[index][rows.column($0)!] }
                + [measured.judgements[index].map { String($0.overall) } ?? ""]
                + (measured.vectors[index].map { $0.map { String($0) } } ?? Array(repeating: "", count: dimensions))
            csv += values.joined(separator: ",") + "\n"
        }
        return csv
    }
}

extension EvalScores {
    /// The `e0…` columns of a `--dump-features` CSV, one vector per essay (nil where it has none).
    static func embeddings(from path: String, count: Int) throws -> [[Float]?] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ValidationError("cannot read \(path)")
        }
        let table = try CSVTable(String(decoding: data, as: UTF8.self))
        let columns = table.header.indices.filter {
            table.header[$0].first == "e" && Int(table.header[$0].dropFirst()) != nil
        }
        guard !columns.isEmpty, table.records.count == count else {
            throw ValidationError("\(path) needs e0… columns and one row per essay (\(count))")
        }
        return table.records.map { record in
            let values = columns.compactMap { Float(record[$0]) }
            return values.count == columns.count ? values : nil
        }
    }
}

/// A CSV file as RFC 4180 writes it (quoted fields may hold commas, quotes and line breaks).
struct CSVTable {
    var header: [String]
    var records: [[String]]

    init(_ text: String) throws {
        var rows: [[String]] = []
        var row: [String] = []
        var field = ""
        var quoted = false
        var iterator = Array(text.unicodeScalars).makeIterator()
        var pending: Unicode.Scalar? = nil
        func next() -> Unicode.Scalar? {
            if let scalar = pending {
                pending = nil
                return scalar
            }
            return iterator.next()
        }
        while let scalar = next() {
            if quoted {
                if scalar == "\"" {
                    if let following = next() {
                        if following == "\"" {
                            field.unicodeScalars.append("\"")
                        } else {
                            quoted = false
                            pending = following
                        }
                    } else {
                        quoted = false
                    }
                } else {
                    field.unicodeScalars.append(scalar)
                }
            } else if scalar == "\"" {
                quoted = true
            } else if scalar == "," {
                row.append(field)
                field = ""
            } else if scalar == "\n" || scalar == "\r" {
                if scalar == "\r", let following = next(), following != "\n" { pending = following }
                row.append(field)
                field = ""
                if row != [""] { rows.append(row) }
                row = []
            } else {
                field.unicodeScalars.append(scalar)
            }
        }
        if !field.isEmpty || !row.isEmpty {
            row.append(field)
            rows.append(row)
        }
        guard let header = rows.first else { throw ValidationError("the CSV is empty") }
        self.header = header
        records = Array(rows.dropFirst())
        if let bad = records.firstIndex(where: { $0.count != header.count }) {
            throw ValidationError(
                "CSV record \(bad + 1) has \(records[bad].count) fields; the header has \(header.count)")
        }
    }

    func column(_ name: String) -> Int? { header.firstIndex(of: name) }
}
