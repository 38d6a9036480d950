import ArgumentParser
import Foundation
import Tutoring

/// `cakap eval scores --cefr-sp DIR`: the CEFR band against CEFR-SP's sentence labels (issue 18).
extension EvalScores {
    /// One labelled sentence: its text and the mean of the two annotators' levels (1–6).
    struct LabelledSentence {
        var text: String
        var level: Double
    }

    static func readCEFRSP(_ path: String) throws -> [LabelledSentence] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ValidationError("cannot read \(path)")
        }
        return String(decoding: data, as: UTF8.self).split(separator: "\n").compactMap { line in
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard fields.count >= 3, let a = Double(fields[1]), let b = Double(fields[2]) else { return nil }
            return LabelledSentence(text: String(fields[0]), level: (a + b) / 2)
        }
    }

    /// Each sentence's features (Harper in batches of 500).
    static func features(
        of sentences: [LabelledSentence], harper: HarperProcess, wordLevels: WordLevels
    ) throws -> [ScoreFeatures] {
        var lints: [[HarperLint]] = []
        let texts = sentences.map(\.text)
        for batch in stride(from: 0, to: texts.count, by: 500) {
            lints += try harper.lint(Array(texts[batch..<min(batch + 500, texts.count)]))
        }
        return zip(texts, lints).map { text, lint in
            ScoreFeatures.measure(
                conversation: [Turn(role: "user", content: text)], lints: [lint], wordLevels: wordLevels)
        }
    }

    /// The train and dev features as CSV for `tools/calibrate_scores.py --cefr`, and the report on dev.
    func cefrSection(folder: String, harper: HarperProcess, wordLevels: WordLevels) throws -> String {
        let train = try Self.readCEFRSP(folder + "/wikiauto_train.txt")
        let dev = try Self.readCEFRSP(folder + "/wikiauto_dev.txt")
        let devFeatures = try Self.features(of: dev, harper: harper, wordLevels: wordLevels)
        if let dumpCefr {
            let trainFeatures = try Self.features(of: train, harper: harper, wordLevels: wordLevels)
            var csv = (["split", "level"] + ScoreFeatures.modelFeatureNames).joined(separator: ",") + "\n"
            for (split, rows, features) in [("train", train, trainFeatures), ("dev", dev, devFeatures)] {
                for (row, feature) in zip(rows, features) {
                    csv +=
                        ([split, String(row.level)] + ScoreFeatures.modelFeatureNames.map { String(feature.value($0)) })
                        .joined(separator: ",") + "\n"
                }
            }
            try Data(csv.utf8).write(to: URL(fileURLWithPath: dumpCefr))
        }
        // The human band: the annotators' mean, rounded half up (1.5 → A2).
        let human = dev.map { Int(($0.level + 0.5).rounded(.down)).clamped(1, 6) }
        let predicted = devFeatures.map { CEFRBand.ofText(features: $0).index + 1 }
        var matrix = [[Int]](repeating: [Int](repeating: 0, count: 6), count: 6)
        for (h, p) in zip(human, predicted) { matrix[h - 1][p - 1] += 1 }
        let exact = zip(human, predicted).filter { $0 == $1 }.count
        let withinOne = zip(human, predicted).filter { abs($0 - $1) <= 1 }.count
        let r = Correlation.pearson(devFeatures.map(CEFRCalibration.level), dev.map(\.level))
        var text = "\n## CEFR band against CEFR-SP (Wiki-Auto dev, \(dev.count) sentences)\n\n"
        text += "The band's model (`CEFRCalibration`, fitted by `tools/calibrate_scores.py --cefr` on the "
        text += "\(train.count) train sentences) on the dev sentences, one sentence at a time; the human band is the "
        text += "mean of the two annotators' levels, rounded half up.\n\n"
        text += String(
            format: "Within one band: **%.3f** (%d/%d); exact: %.3f; Pearson r of the predicted level: %.3f.\n\n",
            Double(withinOne) / Double(dev.count), withinOne, dev.count, Double(exact) / Double(dev.count), r)
        text += "| human \\ predicted | A1 | A2 | B1 | B2 | C1 | C2 |\n|---|---|---|---|---|---|---|\n"
        for (index, band) in CEFRBand.allCases.enumerated() {
            text += "| \(band.rawValue) | " + matrix[index].map(String.init).joined(separator: " | ") + " |\n"
        }
        return text
    }
}

extension Int {
    fileprivate func clamped(_ low: Int, _ high: Int) -> Int { Swift.min(Swift.max(self, low), high) }
}
