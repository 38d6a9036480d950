// Placeholder until tools/calibrate_scores.py --cefr writes the fitted model.
public enum CEFRCalibration {
    public static let features: [String] = ["mean_word_level"]
    public static let model = ScoreCalibration.Model(means: [1], deviations: [0], weights: [0], intercept: 3)
    public static let cuts: [Double] = [1.5, 2.5, 3.5, 4.5, 5.5]
}
