import Foundation

/// GLEU for grammatical error correction with several references, as JFLEG defines it (Napoles
/// et al., 2015/2016): n-gram (1–4) precision of the hypothesis against one reference, minus the
/// n-grams it keeps from the source that the reference changed, with a brevity penalty, over the
/// corpus; each sentence's reference is drawn at random, and the score is the mean over
/// `iterations` draws (deterministic here: a fixed-seed generator).
public enum GLEU {
    /// Corpus GLEU of `hypotheses` for `sources` with `references[i]` the references of sentence i.
    /// Sentences are tokenised by whitespace (JFLEG's files are already tokenised).
    public static func score(
        sources: [String], references: [[String]], hypotheses: [String], iterations: Int = 500, seed: UInt64 = 0
    ) -> Double {
        precondition(sources.count == hypotheses.count && sources.count == references.count)
        let sentences = sources.indices.map { index in
            Sentence(
                source: tokens(sources[index]), references: references[index].map(tokens),
                hypothesis: tokens(hypotheses[index]))
        }
        // Per sentence and reference, the statistics do not depend on the draw: compute them once.
        let statistics = sentences.map { sentence in
            sentence.references.indices.map { sentence.statistics(reference: $0) }
        }
        var generator = SplitMix64(seed: seed)
        var total = 0.0
        for _ in 0..<iterations {
            var sums = [Int](repeating: 0, count: 10)
            for perReference in statistics {
                let chosen = perReference[Int(generator.next() % UInt64(perReference.count))]
                for (index, value) in chosen.enumerated() { sums[index] += value }
            }
            total += corpusScore(sums)
        }
        return total / Double(iterations)
    }

    /// `[hypothesis length, reference length, (matches_n, possible_n) for n = 1…4]` summed over the corpus.
    static func corpusScore(_ sums: [Int]) -> Double {
        let hypothesisLength = Double(sums[0])
        let referenceLength = Double(sums[1])
        guard hypothesisLength > 0 else { return 0 }
        var logPrecision = 0.0
        for n in 0..<4 {
            let matches = Double(sums[2 + 2 * n])
            let possible = Double(sums[3 + 2 * n])
            guard matches > 0, possible > 0 else { return 0 }
            logPrecision += (matches / possible).logValue
        }
        let brevity = min(0, 1 - referenceLength / hypothesisLength)
        return (brevity + logPrecision / 4).expValue
    }

    static func tokens(_ text: String) -> [Substring] {
        text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" })
    }

    struct Sentence {
        var source: [Substring]
        var references: [[Substring]]
        var hypothesis: [Substring]

        func statistics(reference index: Int) -> [Int] {
            let reference = references[index]
            var result = [hypothesis.count, reference.count]
            for n in 1...4 {
                let hypothesisGrams = ngrams(hypothesis, n)
                let referenceGrams = ngrams(reference, n)
                // Source n-grams that do not occur in the reference at all (JFLEG's get_ngram_diff
                // drops every shared n-gram whole, whatever the counts).
                let sourceNotInReference = ngrams(source, n).filter { referenceGrams[$0.key] == nil }
                var matches = 0
                var penalty = 0
                for (gram, count) in hypothesisGrams {
                    matches += min(count, referenceGrams[gram] ?? 0)
                    penalty += min(count, sourceNotInReference[gram] ?? 0)
                }
                result.append(max(0, matches - penalty))
                result.append(max(0, hypothesis.count + 1 - n))
            }
            return result
        }

        func ngrams(_ words: [Substring], _ n: Int) -> [String: Int] {
            var counts: [String: Int] = [:]
            guard words.count >= n else { return counts }
            for start in 0...(words.count - n) {
                counts[words[start..<start + n].joined(separator: " "), default: 0] += 1
            }
            return counts
        }
    }
}

/// A small, fixed-seed generator (SplitMix64) so scores are reproducible.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension Double {
    var logValue: Double { Foundation.log(self) }
    var expValue: Double { Foundation.exp(self) }
}
