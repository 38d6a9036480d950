// Placeholder until tools/calibrate_scores.py writes the fitted model.
public enum ScoreCalibration {
    public struct Model: Sendable {
        public var means: [Double]
        public var deviations: [Double]
        public var weights: [Double]
        public var intercept: Double
    }
    public static let features: [String] = ["grammar_per100"]
    public static let embeddingDimensions = 0
    public static let featuresOnly: [String: Model] = [
        "overall": Model(means: [2], deviations: [2], weights: [-0.3], intercept: 3)
    ]
    public static let withEmbedding: [String: Model] = [:]
    public static let crossValidatedPearson: [String: [String: Double]] = [:]
    public static let judgeWeight = 0.0
}
