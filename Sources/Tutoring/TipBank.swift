/// Usage tips in English and Indonesian, one per kind of mistake: what the learner wrote, the
/// rule, and a short example (issue 18). `{wrote}` and `{fix}` are filled in from the finding.
enum TipBank {
    /// Our rules and a few Harper rules have a tip of their own; everything else has its category's.
    static func key(for match: Match) -> String {
        let rule = match.rule.id
        for own in specific.keys where rule == "CAKAP_\(own)" || rule == "HARPER_\(own)" || rule == "SCORED_\(own)" {
            return own
        }
        return match.rule.category.rawValue
    }

    static func tip(key: String, wrote: String, fix: String, language: Language) -> String {
        let entry = specific[key] ?? byCategory[key] ?? byCategory["word_choice"]!
        let template = language == .id ? entry.id : entry.en
        return
            template
            .replacingOccurrences(of: "{wrote}", with: wrote.isEmpty ? "…" : wrote)
            .replacingOccurrences(
                of: "{fix}", with: fix.isEmpty ? (language == .id ? "(hapus)" : "(leave it out)") : fix)
    }

    typealias Text = (en: String, id: String)

    static let specific: [String: Text] = [
        "comma_clause": (
            "You wrote “{wrote}” without a comma. Where one full sentence ends and another begins (“…my sister, and we bought…”, “When I was young, I played…”), put a comma: “{fix}”.",
            "Kamu menulis “{wrote}” tanpa koma. Di antara dua kalimat lengkap (“…my sister, and we bought…”, “When I was young, I played…”) beri koma: “{fix}”."
        ),
        "comma_insert": (
            "You wrote “{wrote}” without a comma. A comma goes after an opening word or phrase (However, …; In my opinion, …) and before “but”, “so”, “which”: “{fix}”. Example: It was late, but we stayed.",
            "Kamu menulis “{wrote}” tanpa koma. Koma dipakai setelah kata atau frasa pembuka (However, …; In my opinion, …) dan sebelum “but”, “so”, “which”: “{fix}”. Contoh: It was late, but we stayed."
        ),
        "VeryVerb": (
            "You wrote “{wrote}”. “Very” goes with adjectives (very happy), not verbs: say “{fix}” or “like it very much”. Example: I really like football.",
            "Kamu menulis “{wrote}”. “Very” dipakai dengan kata sifat (very happy), bukan kata kerja: pakai “{fix}” atau “like it very much”. Contoh: I really like football."
        ),
        "MissingBe": (
            "You wrote “{wrote} …”. Before an adjective English needs am/is/are (was/were in the past): “{fix} …”. Example: She is tired.",
            "Kamu menulis “{wrote} …”. Sebelum kata sifat perlu am/is/are (was/were untuk masa lalu): “{fix} …”. Contoh: She is tired."
        ),
        "PastTime": (
            "You wrote “{wrote}” with a past time word (yesterday, last week, … ago). Finished past actions take the past form: “{fix}”. Example: Yesterday I went to school.",
            "Kamu menulis “{wrote}” dengan kata waktu lampau (yesterday, last week, … ago). Kejadian yang sudah lewat memakai bentuk lampau: “{fix}”. Contoh: Yesterday I went to school."
        ),
        "ThirdPersonS": (
            "You wrote “{wrote}”. With he, she, it or one person (my mother, Budi), the present verb ends in -s: “{fix}”. Example: My sister works in a bank.",
            "Kamu menulis “{wrote}”. Untuk he, she, it atau satu orang (my mother, Budi), kata kerja present diberi -s: “{fix}”. Contoh: My sister works in a bank."
        ),
        "PronounVerbAgreement": (
            "You wrote “{wrote}”. The verb must match its subject: I/you/we/they have, he/she/it has: “{fix}”. Example: She doesn't like spicy food.",
            "Kamu menulis “{wrote}”. Kata kerja harus cocok dengan subjeknya: I/you/we/they have, he/she/it has: “{fix}”. Contoh: She doesn't like spicy food."
        ),
        "BeAgree": (
            "You wrote “{wrote}”. “Agree” is a verb, so it needs no am/is/are: “{fix}”. Example: I agree with you.",
            "Kamu menulis “{wrote}”. “Agree” adalah kata kerja, jadi tidak perlu am/is/are: “{fix}”. Contoh: I agree with you."
        ),
        "EmbeddedQuestion": (
            "You wrote “{wrote}”. After know, tell me, ask, … a question keeps normal order (subject, then verb): “{fix}”. Example: Do you know where the station is?",
            "Kamu menulis “{wrote}”. Setelah know, tell me, ask, … pertanyaan memakai urutan biasa (subjek lalu kata kerja): “{fix}”. Contoh: Do you know where the station is?"
        ),
        "MissingArticle": (
            "You wrote “{wrote}”. One person or thing you can count needs “a” or “an”: “{fix}”. Example: My father is a teacher.",
            "Kamu menulis “{wrote}”. Satu benda atau orang yang bisa dihitung perlu “a” atau “an”: “{fix}”. Contoh: My father is a teacher."
        ),
        "RedundantPreposition": (
            "You wrote “{wrote}”. This verb takes its object directly, without a preposition: “{fix}”. Example: Let's discuss the plan.",
            "Kamu menulis “{wrote}”. Kata kerja ini langsung diikuti objeknya, tanpa kata depan: “{fix}”. Contoh: Let's discuss the plan."
        ),
        "Discuss": (
            "You wrote “{wrote}”. “Discuss” already means “talk about”, so it takes no “about”: “{fix}”. Example: We discussed the plan.",
            "Kamu menulis “{wrote}”. “Discuss” sudah berarti “membicarakan”, jadi tanpa “about”: “{fix}”. Contoh: We discussed the plan."
        ),
        "AdjectiveDoubleDegree": (
            "You wrote “{wrote}”. “Better”, “faster”, “cheaper” are already comparatives, so no “more”: “{fix}”. Example: This one is better.",
            "Kamu menulis “{wrote}”. “Better”, “faster”, “cheaper” sudah bentuk perbandingan, jadi tanpa “more”: “{fix}”. Contoh: This one is better."
        ),
        "NumberNoun": (
            "You wrote “{wrote}”. After two, many, a lot of, … the noun is plural: “{fix}”. Example: I have two cats.",
            "Kamu menulis “{wrote}”. Setelah two, many, a lot of, … kata bendanya jamak: “{fix}”. Contoh: I have two cats."
        ),
        "PluralVerb": (
            "You wrote “{wrote}”. “People” and “children” are plural, so they take are/were/have: “{fix}”. Example: Many people are waiting.",
            "Kamu menulis “{wrote}”. “People” dan “children” itu jamak, jadi memakai are/were/have: “{fix}”. Contoh: Many people are waiting."
        ),
    ]

    static let byCategory: [String: Text] = [
        "spelling": (
            "You wrote “{wrote}”: check the spelling, “{fix}”. Tip: say the word slowly and write each sound.",
            "Kamu menulis “{wrote}”: periksa ejaannya, “{fix}”. Tips: ucapkan pelan-pelan dan tulis setiap bunyinya."
        ),
        "verb_form": (
            "You wrote “{wrote}”. The verb form must fit the time and the sentence: “{fix}”. Example: I bought (not buyed) rice.",
            "Kamu menulis “{wrote}”. Bentuk kata kerja harus sesuai waktu dan kalimatnya: “{fix}”. Contoh: I bought (bukan buyed) rice."
        ),
        "agreement": (
            "You wrote “{wrote}”. Subject and verb (or number and noun) must agree: “{fix}”. Example: He plays; two books.",
            "Kamu menulis “{wrote}”. Subjek dan kata kerja (atau jumlah dan benda) harus cocok: “{fix}”. Contoh: He plays; two books."
        ),
        "article": (
            "You wrote “{wrote}”. Check a/an/the: “{fix}”. Example: an apple, a car, the sun.",
            "Kamu menulis “{wrote}”. Periksa a/an/the: “{fix}”. Contoh: an apple, a car, the sun."
        ),
        "preposition": (
            "You wrote “{wrote}”. Prepositions go with particular words: “{fix}”. Example: good at math, on the bus.",
            "Kamu menulis “{wrote}”. Kata depan mengikuti kata tertentu: “{fix}”. Contoh: good at math, on the bus."
        ),
        "word_choice": (
            "You wrote “{wrote}”. A more natural choice is “{fix}”.",
            "Kamu menulis “{wrote}”. Pilihan yang lebih wajar: “{fix}”."
        ),
        "word_order": (
            "You wrote “{wrote}”. English word order: “{fix}”.",
            "Kamu menulis “{wrote}”. Urutan kata dalam bahasa Inggris: “{fix}”."
        ),
        "punctuation": ("Punctuation: “{wrote}” → “{fix}”.", "Tanda baca: “{wrote}” → “{fix}”."),
        "capitalisation": (
            "You wrote “{wrote}”. “I”, names and the first word of a sentence start with a capital: “{fix}”.",
            "Kamu menulis “{wrote}”. “I”, nama dan kata pertama kalimat diawali huruf kapital: “{fix}”."
        ),
    ]
}
