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
