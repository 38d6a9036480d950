/// The language of explanations: English or Indonesian (`lang`).
public enum Language: String, Sendable, Codable, CaseIterable {
    case en, id
}

/// Short explanations per category, in English and Indonesian; `{from}` and `{to}` are filled in.
public enum Explanations {
    static let bank: [Category: [Language: (short: String, message: String)]] = [
        .spelling: [
            .en: ("Spelling", "“{from}” is misspelled; write “{to}”."),
            .id: ("Ejaan", "Ejaan “{from}” salah; tulis “{to}”."),
        ],
        .verbForm: [
            .en: ("Verb form", "Use “{to}” here: the verb form must fit the time and the sentence."),
            .id: ("Bentuk kata kerja", "Gunakan “{to}”: bentuk kata kerja harus sesuai dengan waktu dan kalimatnya."),
        ],
        .agreement: [
            .en: ("Agreement", "“{from}” does not agree with its subject or number; use “{to}”."),
            .id: ("Kesesuaian", "“{from}” tidak sesuai dengan subjek atau jumlahnya; gunakan “{to}”."),
        ],
        .article: [
            .en: ("Article", "Check the article (a, an, the): “{to}” instead of “{from}”."),
            .id: ("Artikel", "Periksa artikel (a, an, the): “{to}”, bukan “{from}”."),
        ],
        .preposition: [
            .en: ("Preposition", "This phrase takes “{to}”, not “{from}”."),
            .id: ("Kata depan", "Frasa ini memakai “{to}”, bukan “{from}”."),
        ],
        .wordChoice: [
            .en: ("Word choice", "“{to}” is the more natural choice than “{from}” here."),
            .id: ("Pilihan kata", "“{to}” lebih wajar daripada “{from}” di sini."),
        ],
        .wordOrder: [
            .en: ("Word order", "In English the words go in this order: “{to}”."),
            .id: ("Urutan kata", "Dalam bahasa Inggris urutannya: “{to}”."),
        ],
        .punctuation: [
            .en: ("Punctuation", "Punctuation: write “{to}”."),
            .id: ("Tanda baca", "Tanda baca: tulis “{to}”."),
        ],
        .capitalisation: [
            .en: ("Capital letter", "Write “{to}” with this capitalisation."),
            .id: ("Huruf kapital", "Tulis “{to}” dengan huruf kapital seperti ini."),
        ],
    ]

    /// Why a comma goes after `to`'s word, from the word that follows it — by the same word sets
    /// that made the scored edits try the comma there (`ScoredEdits+Candidates.swift`): a joined
    /// sentence ("and we"), "but"/"which", a new clause after an opening one ("ago, I"), or an
    /// opening word.
    public static func comma(before next: String, to: String, in language: Language) -> String {
        let word = next.lowercased()
        let id = language == .id
        let shown = next.isEmpty ? to : "\(to) \(next) …"
        if ScoredEdits.coordinators.contains(word) {
            return id
                ? "Dua kalimat lengkap yang disambung “\(next)” dipisah koma: “\(shown)”."
                : "Two full sentences joined by “\(next)” take a comma before it: “\(shown)”."
        }
        if ScoredEdits.commaBefore.contains(word) {
            return id ? "Koma sebelum “\(next)”: “\(shown)”." : "A comma goes before “\(next)” here: “\(shown)”."
        }
        if ScoredEdits.subjectStarts.contains(word) {
            return id
                ? "Koma menutup bagian pembuka sebelum kalimat utama: “\(shown)”."
                : "A comma ends the opening part before the main sentence: “\(shown)”."
        }
        return id ? "Koma setelah kata pembuka: “\(shown)”." : "A comma follows an opening word or phrase: “\(shown)”."
    }

    /// The short label and the message for a finding.
    public static func explain(
        _ category: Category, from: String, to: String, in language: Language
    ) -> (
        short: String, message: String
    ) {
        let entry = bank[category]?[language] ?? ("Note", "Consider “{to}”.")
        let shownTo = to.isEmpty ? (language == .id ? "(hapus)" : "(remove it)") : to
        let shownFrom = from.isEmpty ? "…" : from
        let message = entry.message.replacingOccurrences(of: "{from}", with: shownFrom)
            .replacingOccurrences(of: "{to}", with: shownTo)
        return (entry.short, message)
    }
}
