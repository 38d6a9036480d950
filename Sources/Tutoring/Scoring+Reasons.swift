import Foundation

/// What the scores say to the learner, in English or Indonesian: the reason of each calibrated
/// aspect (it names the features the score moved with), and the three aspects that exist only in a
/// conversation, which are rules over its features, score and reason together (R-APP-5,
/// docs/tutor.md).
struct ScoreReasons {
    let features: ScoreFeatures
    let language: Language

    private var id: Bool { language == .id }

    /// The reason of an aspect calibrated on ELLIPSE.
    func calibrated(_ aspect: Aspect) -> String {
        let f = features
        switch aspect {
        case .writtenFluency:
            return id
                ? "Rata-rata \(format(f.meanSentenceLength)) kata per kalimat, \(format(f.connectivesPer100)) kata penghubung per 100 kata."
                : "\(format(f.meanSentenceLength)) words per sentence on average, \(format(f.connectivesPer100)) linking words per 100."
        case .vocabulary:
            let advanced = Int((f.advancedWordShare * 100).rounded())
            return id
                ? "Keragaman kata (MTLD) \(format(f.mtld)); \(advanced)% kata di level B2 ke atas."
                : "Word variety (MTLD) \(format(f.mtld)); \(advanced)% of words at B2 or above."
        case .grammar:
            return grammar
        case .coherence:
            return id
                ? "\(format(f.subordinatorsPerSentence)) anak kalimat dan \(format(f.connectivesPer100)) kata penghubung per 100 kata."
                : "\(format(f.subordinatorsPerSentence)) linked clauses per sentence, \(format(f.connectivesPer100)) linking words per 100."
        case .clarity:
            return id
                ? "\(format(f.conventionErrorsPer100)) kesalahan huruf kapital/tanda baca per 100 kata; panjang kalimat \(format(f.meanSentenceLength))."
                : "\(format(f.conventionErrorsPer100)) capital/punctuation slips per 100 words; sentences of \(format(f.meanSentenceLength)) words."
        case .overall:
            return overall(judgement: nil)
        case .comprehension, .digitalEtiquette, .responsiveness:
            return ""
        }
    }

    /// Mistakes per 100 words and the most frequent kind.
    private var grammar: String {
        let f = features
        let rate = f.grammarErrorsPer100 + f.spellingErrorsPer100
        guard rate >= 0.5 else {
            return id ? "Hampir tidak ada kesalahan tata bahasa." : "Almost no grammar mistakes found."
        }
        let top = f.errorsPer100ByCategory.max { $0.value < $1.value }.map { entry in
            Category(rawValue: entry.key).map { Explanations.explain($0, from: "", to: "", in: language).short }
                ?? entry.key
        }
        return id
            ? "\(format(rate)) kesalahan per 100 kata\(top.map { ", terbanyak: \($0)" } ?? "")."
            : "\(format(rate)) mistakes per 100 words\(top.map { ", mostly \($0.lowercased())" } ?? "")."
    }

    /// The model's reason when it gave one, else what the overall score combines.
    func overall(judgement: Judgement?) -> String {
        if let reason = judgement?.reason, !reason.isEmpty { return String(reason.prefix(200)) }
        return id ? "Gabungan tata bahasa, kosakata dan kelancaran." : "Grammar, vocabulary and fluency together."
    }

    /// Comprehension: how closely each reply follows the partner's turn before it (all-minilm
    /// cosine; question–answer pairs score about 0.1–0.5) and how many questions were answered;
    /// `overall` when no learner message replies to a partner turn yet.
    func comprehension(fallback overall: Int) -> (score: Int, reason: String) {
        var parts: [Double] = []
        var reasons: [String] = []
        if let relevance = features.relevance {
            parts.append(40 + 150 * (relevance - 0.1))
            reasons.append(
                id
                    ? "jawabanmu \(relevance > 0.2 ? "nyambung dengan" : "kurang nyambung dengan") pesan partner (kemiripan \(format(relevance)))"
                    : "your replies \(relevance > 0.2 ? "follow" : "drift from") what your partner said (similarity \(format(relevance)))"
            )
        }
        if let answered = features.answeredShare {
            parts.append(40 + 60 * answered)
            reasons.append(
                id
                    ? "kamu menjawab \(Int(answered * 100))% pertanyaan partner"
                    : "you answered \(Int(answered * 100))% of your partner's questions")
        }
        guard !parts.isEmpty else {
            return (
                overall,
                id
                    ? "Belum ada pesanmu yang menjawab pesan partner."
                    : "None of your messages replies to a partner turn yet."
            )
        }
        let joined = reasons.joined(separator: "; ")
        return (Int(parts.reduce(0, +) / Double(parts.count)), joined.prefix(1).uppercased() + joined.dropFirst() + ".")
    }

    /// Responsiveness: questions answered and asked back; without partner questions, `overall`
    /// plus the questions asked.
    func responsiveness(fallback overall: Int) -> (score: Int, reason: String) {
        let f = features
        guard let answered = f.answeredShare else {
            return (
                min(100, overall + 10 * min(f.questions, 2)),
                id
                    ? "Partner belum bertanya; kamu bertanya \(f.questions) kali."
                    : "No partner questions yet; you asked \(f.questions)."
            )
        }
        return (
            Int(30 + 50 * answered + 10 * Double(min(f.questions, 2))),
            id
                ? "Menjawab \(Int(answered * 100))% pertanyaan, bertanya balik \(f.questions) kali."
                : "Answered \(Int(answered * 100))% of questions and asked \(f.questions) back."
        )
    }

    /// Digital etiquette: polite markers raise it, shouting and rude words lower it.
    func etiquette() -> (score: Int, reason: String) {
        let f = features
        let score = Int(75 + 8 * Double(min(f.politeMarkers, 3)) - 200 * f.shoutingShare - 25 * Double(f.rudeWords))
        let reason: String
        if f.rudeWords > 0 {
            reason = id ? "Ada kata kasar; tetap sopan ya." : "Some rude words; keep it friendly."
        } else if f.shoutingShare > 0.1 {
            reason = id ? "Banyak huruf kapital terasa seperti berteriak." : "Many capitals read as shouting."
        } else if f.politeMarkers > 0 {
            reason = id ? "Ramah dan sopan (salam, terima kasih)." : "Friendly and polite (greetings, thanks)."
        } else {
            reason =
                id
                ? "Sopan; salam atau terima kasih membuatnya lebih hangat."
                : "Polite; a greeting or thanks would make it warmer."
        }
        return (score, reason)
    }

    /// For an aspect when nothing is written yet.
    var nothingWritten: String { id ? "Belum ada tulisan untuk dinilai." : "Nothing written yet to score." }

    /// Below the minimum of evidence: why there is no level or overall yet.
    func keepTalking(minimumWords: Int) -> String {
        id
            ? "Terus mengobrol: dari \(features.words) kata belum bisa ditentukan level dan nilai keseluruhan (minimal \(minimumWords) kata)."
            : "Keep talking: \(features.words) words are not enough for a level or an overall score (at least \(minimumWords))."
    }

    private func format(_ value: Double) -> String { String(format: "%.1f", value) }
}
