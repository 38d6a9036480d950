/// The shapes of the fitted score model; its numbers are generated data
/// (`Generated/ScoreCalibration.swift`, written by tools/calibrate_scores.py).
extension ScoreCalibration {
    /// A linear model: `intercept + Σ weights[i] · (input[i] − means[i]) / deviations[i]`, on
    /// ELLIPSE's 1–5 scale.
    public struct Model: Sendable {
        public var means: [Double]
        public var deviations: [Double]
        public var weights: [Double]
        public var intercept: Double
    }

    /// One aspect's part of a model: the weights of the standardised inputs and the intercept.
    public struct Weights: Sendable {
        public var weights: [Double]
        public var intercept: Double
    }

    /// One kind of model for every calibrated aspect. The aspects are fitted on the same rows, so
    /// they share one standardisation.
    public struct Models: Sendable {
        public var means: [Double]
        public var deviations: [Double]
        public var aspects: [Aspect: Weights]

        /// The aspect's model, or nil for an aspect that is not calibrated (comprehension, …).
        public func model(for aspect: Aspect) -> Model? {
            aspects[aspect].map {
                Model(means: means, deviations: deviations, weights: $0.weights, intercept: $0.intercept)
            }
        }
    }

    /// Which inputs a kind of model reads: the measured features, or those and the embedding.
    public enum Kind: String, Sendable {
        case features, embedding
    }
}

extension ScoreCalibration {
    /// The calibrated estimate of an aspect on ELLIPSE's 1–5 scale; 3 (the middle) for an aspect
    /// that is not calibrated. With an embedding of the calibrated size the embedding model is used,
    /// otherwise the features-only one.
    static func estimate(_ aspect: Aspect, features: ScoreFeatures, embedding: [Float]?) -> Double {
        let embedding = embedding.flatMap { $0.count == embeddingDimensions && !$0.isEmpty ? $0 : nil }
        let models = embedding == nil ? featuresOnly : withEmbedding
        guard let model = models.model(for: aspect) else { return 3 }
        let inputs = self.features.map { features.value($0) } + (embedding ?? []).map(Double.init)
        var value = model.intercept
        for index in inputs.indices where index < model.weights.count && model.deviations[index] > 0 {
            let name = index < self.features.count ? self.features[index] : nil
            // Chat text is shorter than the essays the model was fitted on: inputs are held within
            // three deviations of the essays' mean, and MTLD (unstable under 50 words) is neutral.
            var standardised = (inputs[index] - model.means[index]) / model.deviations[index]
            if let name, ["mtld", "log_mtld"].contains(name), features.words < ScoreEngine.minimumWordsForDiversity {
                standardised = 0
            }
            // More mistakes never raise a score (issue 18), whatever a refit gives these weights.
            let isErrorRate = name.map(errorFeatures.contains) ?? false
            let weight = isErrorRate ? min(model.weights[index], 0) : model.weights[index]
            value += weight * standardised.clamped(to: -3...3)
        }
        return value
    }

    /// The features that count mistakes: their weights may only lower a score.
    static let errorFeatures = Set([
        "grammar_per100", "spelling_per100", "conventions_per100", "log_grammar_per100", "log_spelling_per100",
        "log_conventions_per100",
    ]).union(ScoreFeatures.categoryRateNames)
}
