// Written by tools/calibrate_scores.py --cefr from CEFR-SP's Wiki-Auto sentences
// (../shared/data/cefr-sp); do not edit by hand. A ridge regression of the level (1–6) on
// standardised text features, fitted on 5990 train sentences (strength by 10-fold CV,
// CV r = 0.714), and cut points chosen on train (exact 0.554).
// Dev (701 sentences): within one band 0.964, exact 0.528, r = 0.733.

/// The fitted CEFR band model (docs/tutor.md, "Scores").
public enum CEFRCalibration {
    /// The features the model reads, in order (`ScoreFeatures.value(_:)`).
    public static let features: [String] = [
        "mean_word_level",
        "advanced_share",
        "unknown_share",
        "mean_sentence_length",
        "subordinators_per_sentence",
        "connectives_per100",
        "mean_word_length",
    ]
    /// Level 1–6 = intercept + Σ weights · clamp((feature − mean) / deviation, ±3).
    public static let model = ScoreCalibration.Model(
        means: [
            1.98421, 0.129448, 0.0435047, 14.6158, 0.285643, 0.652402, 4.92376,
        ],
        deviations: [
            0.427092, 0.10916, 0.0781075, 5.45965, 0.527932, 2.27348, 0.786657,
        ],
        weights: [
            0.261179, 0.12801, -0.0859384, 0.333021, 0.0185552, -0.00642167, 0.189194,
        ],
        intercept: 3.5611)
    /// A level at or above cuts[k] is band k + 2 (A2 …); below cuts[0], A1.
    public static let cuts: [Double] = [2.08, 2.34, 3.26, 4.12, 5.44]
}
