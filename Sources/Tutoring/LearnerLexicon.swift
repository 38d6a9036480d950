/// Closed word lists the learner-error rules (`LearnerRules`) decide with. They are short on
/// purpose: a rule fires only on words listed here, so a wrong guess about an unknown word is a
/// missed finding, never a wrong one (precision first, issue 18).
enum LearnerLexicon {
    /// Base form → past form of the verbs A2–B1 learners use most (irregular and regular).
    static let pastForms: [String: String] = [
        "go": "went", "buy": "bought", "eat": "ate", "see": "saw", "meet": "met", "tell": "told", "give": "gave",
        "lose": "lost", "forget": "forgot", "write": "wrote", "sleep": "slept", "wake": "woke", "have": "had",
        "come": "came", "take": "took", "make": "made", "get": "got", "do": "did", "find": "found", "say": "said",
        "run": "ran", "swim": "swam", "speak": "spoke", "feel": "felt", "leave": "left", "bring": "brought",
        "think": "thought", "teach": "taught", "drink": "drank", "sing": "sang", "sit": "sat", "win": "won",
        "pay": "paid", "send": "sent", "spend": "spent", "drive": "drove", "ride": "rode", "read": "read",
        "fly": "flew", "begin": "began", "break": "broke", "catch": "caught", "choose": "chose", "fall": "fell",
        "visit": "visited", "watch": "watched", "study": "studied", "play": "played", "cook": "cooked",
        "stay": "stayed", "walk": "walked", "work": "worked", "call": "called", "help": "helped",
        "clean": "cleaned", "travel": "traveled", "want": "wanted", "like": "liked", "love": "loved",
        "live": "lived", "try": "tried", "cry": "cried", "finish": "finished", "start": "started",
        "listen": "listened", "open": "opened", "close": "closed", "arrive": "arrived", "learn": "learned",
        "celebrate": "celebrated", "wait": "waited", "ask": "asked", "order": "ordered", "move": "moved",
    ]

    /// Third-person singular of the verbs above (the regular ones are built by `thirdPerson`).
    static let thirdPersonIrregular: [String: String] = [
        "have": "has", "do": "does", "go": "goes", "don't": "doesn't", "watch": "watches", "finish": "finishes",
        "study": "studies", "try": "tries", "cry": "cries", "fly": "flies", "catch": "catches", "teach": "teaches",
    ]

    static func thirdPerson(_ verb: String) -> String {
        if let form = thirdPersonIrregular[verb] { return form }
        if ["s", "x", "z", "ch", "sh", "o"].contains(where: verb.hasSuffix) { return verb + "es" }
        if verb.hasSuffix("y"), let before = verb.dropLast().last, !"aeiou".contains(before) {
            return verb.dropLast() + "ies"
        }
        return verb + "s"
    }

    /// Verbs that follow "very" in Indonesian-English ("sangat suka" → "very like").
    static let feelingVerbs: Set<String> = [
        "like", "love", "want", "enjoy", "hope", "miss", "appreciate", "hate", "need", "agree", "thank", "admire",
    ]

    /// Adjectives that take *be* before them ("I very happy" → "I am very happy").
    static let adjectives: Set<String> = [
        "happy", "sad", "tired", "busy", "sick", "hungry", "thirsty", "angry", "sorry", "sure", "ready", "excited",
        "bored", "boring", "kind", "smart", "hot", "cold", "small", "big", "far", "near", "funny", "good", "bad",
        "beautiful", "nice", "late", "early", "afraid", "scared", "confused", "interested", "interesting", "fine",
        "expensive", "cheap", "difficult", "easy", "lazy", "diligent", "friendly", "healthy", "rich", "poor",
        "delicious", "comfortable", "nervous", "proud", "free", "full", "sleepy", "crowded", "clean", "dirty",
    ]

    /// Jobs and countable nouns that need "a/an" when singular ("I am teacher", "buy new phone").
    static let jobs: Set<String> = [
        "teacher", "doctor", "student", "engineer", "pilot", "driver", "nurse", "lawyer", "farmer", "singer",
        "programmer", "designer", "chef", "cook", "soldier", "police officer", "artist", "writer", "dentist",
        "accountant", "manager", "photographer", "mechanic", "pharmacist", "journalist",
    ]
    static let countables: Set<String> = [
        "phone", "car", "bag", "umbrella", "laptop", "bicycle", "motorcycle", "house", "dog", "cat", "computer",
        "camera", "jacket", "ticket", "pen", "job", "apartment", "shirt", "dress",
        "guitar", "bike",
    ]
    /// Adjectives allowed between the verb and the countable noun ("buy new phone").
    static let nounAdjectives: Set<String> = ["new", "old", "big", "small", "nice", "good", "cheap", "second"]

    static let subjectPronouns: Set<String> = ["i", "you", "we", "they", "he", "she", "it"]
    static let determiners: Set<String> = ["my", "his", "her", "our", "their", "your", "the", "this", "that"]
    static let beForms: Set<String> = ["am", "is", "are", "was", "were"]
    /// Words between a subject and its verb that do not change the verb ("she always come").
    static let adverbs: Set<String> = ["always", "usually", "often", "never", "sometimes", "also", "really", "still"]
    /// Singular people and animals a learner writes as a subject ("my mother cook").
    static let singularSubjects: Set<String> = [
        "mother", "father", "sister", "brother", "friend", "teacher", "boss", "uncle", "aunt", "neighbour",
        "neighbor", "cat", "dog", "grandmother", "grandfather", "son", "daughter", "husband", "wife", "family",
        "mom", "dad", "cousin", "baby", "wife", "girlfriend", "boyfriend", "manager", "lecturer",
    ]

    /// Words that mark a finished past time ("yesterday", "last week", "two days ago").
    static let pastAfterLast: Set<String> = [
        "week", "night", "month", "year", "weekend", "holiday", "sunday", "monday", "tuesday", "wednesday",
        "thursday", "friday", "saturday", "time", "summer",
    ]
    /// Words that make a clause habitual or future, so a base verb beside a past word is right.
    static let notPast: Set<String> = [
        "every", "usually", "always", "will", "tomorrow", "next", "often", "sometimes", "now", "can", "must",
    ]
    /// What may come before a base verb without it being a finite verb ("to go", "will go").
    static let beforeNonFinite: Set<String> = [
        "to", "will", "can", "could", "would", "should", "must", "may", "might", "did", "didn't", "don't",
        "doesn't", "let", "lets", "not", "cannot", "can't", "won't", "shall",
    ]

    /// Verbs that take a following preposition in Indonesian ("membahas tentang" → "discuss about")
    /// but none in English.
    static let redundantPrepositions: [String: String] = [
        "explain": "about", "mention": "about", "describe": "about", "contact": "to", "marry": "with",
        "emphasize": "on", "emphasise": "on",
    ]

    /// Indonesian words learners keep in English (food, transport, places, titles): never
    /// "corrected" into English look-alikes ("rendang" → "rending").
    static let indonesianWords: Set<String> = [
        "rendang", "nasi", "goreng", "kopi", "tubruk", "ojek", "bakso", "soto", "ayam", "teh", "es", "martabak",
        "manis", "sate", "satay", "pempek", "futsal", "angkot", "becak", "warung", "kos", "kost", "mudik",
        "gado", "tempe", "tahu", "sambal", "krupuk", "kerupuk", "batik", "gamelan", "angklung", "dangdut",
        "lontong", "ketupat", "opor", "bubur", "mie", "indomie", "kue", "rujak", "bajaj", "pak", "bu", "mbak",
        "mas", "kak", "adik", "kakak", "bapak", "ibu", "lebaran", "idul", "fitri", "ramadan", "ramadhan",
        "puasa", "sahur", "takjil", "arisan", "gotong", "royong", "kampung", "desa", "pasar", "jamu", "wayang",
        "sinetron", "pecel", "lele", "gudeg", "rawon", "siomay", "cilok", "seblak", "cendol", "dawet", "bakwan",
        "pisang", "ubi", "nasi uduk", "uduk", "kuning", "padang", "ojol", "gojek", "grab", "krl", "transjakarta",
    ]
}
