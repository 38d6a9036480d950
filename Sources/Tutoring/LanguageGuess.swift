/// Whether a learner wrote Indonesian instead of English (R-APP-1: the partner then gently asks
/// for English). Function words decide: the most frequent short words of each language, which a
/// learner's message almost always contains. Mixed messages count as Indonesian when at least
/// two Indonesian function words appear and they outnumber the English ones.
public enum LanguageGuess {
    static let indonesian: Set<String> = [
        "yang", "dan", "di", "ke", "dari", "ini", "itu", "saya", "aku", "kamu", "anda", "tidak", "tak", "ada",
        "untuk", "dengan", "apa", "bisa", "sudah", "belum", "mau", "juga", "akan", "karena", "tapi", "tetapi",
        "kalau", "jika", "sangat", "banyak", "lagi", "sama", "nggak", "gak", "enggak", "dong", "sih", "kok",
        "aja", "saja", "bagaimana", "kenapa", "mengapa", "terima", "kasih", "selamat", "pagi", "siang", "malam",
        "bahasa", "inggris", "kami", "kita", "mereka", "dia", "ia", "pada", "dalam", "atau", "lebih", "hari",
        "sedang", "masih", "harus", "boleh", "ingin", "suka", "punya", "oleh", "seperti", "sekarang", "tolong",
        "maaf", "halo", "hai", "iya", "ya", "baik", "bagus", "besok", "kemarin", "teman", "rumah", "makan",
    ]
    static let english: Set<String> = [
        "the", "and", "is", "are", "was", "were", "i", "you", "to", "of", "a", "an", "in", "it", "that", "this",
        "have", "has", "do", "does", "did", "my", "me", "we", "they", "he", "she", "not", "with", "for", "on",
        "at", "be", "can", "will", "what", "how", "why", "like", "go", "went", "yes", "no", "hello", "hi",
        "thanks", "please", "am", "so", "but", "or", "very", "about", "your", "our", "there", "here",
    ]

    /// True when the text is (mostly) Indonesian.
    public static func isIndonesian(_ text: String) -> Bool {
        var indonesianHits = 0
        var englishHits = 0
        for token in tokenize(text) {
            let word = token.text.lowercased()
            if indonesian.contains(word) { indonesianHits += 1 }
            if english.contains(word) { englishHits += 1 }
        }
        return indonesianHits >= 2 && indonesianHits > englishHits
    }
}
