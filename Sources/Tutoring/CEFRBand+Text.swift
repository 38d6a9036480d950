/// The CEFR band of a learner's text, fitted on data (issue 18) instead of fixed cut points on the
/// overall score.
extension CEFRBand {
    /// The band's position, A1 = 0 … C2 = 5.
    public var index: Int { CEFRBand.allCases.firstIndex(of: self)! }

    /// The band of a text from its features: `CEFRCalibration`'s linear model (fitted on CEFR-SP's
    /// sentence levels) gives a level 1–6, its fitted cut points a band. Sentence difficulty says
    /// what a learner can write, not how accurately: with `overall` (ELLIPSE-calibrated, 0–100)
    /// the band is at most what the overall score alone would give, so a message full of mistakes
    /// is not C1 for its long words. (With the cap one band higher the band did not follow
    /// ELLIPSE's human Overall at all, r −0.05: learners' run-on sentences read as "long".)
    public static func ofText(features: ScoreFeatures, overall: Int? = nil) -> CEFRBand {
        let level = CEFRCalibration.level(features)
        let band = CEFRCalibration.cuts.filter { level >= $0 }.count
        var result = CEFRBand.allCases[min(max(band, 0), 5)]
        if let overall {
            let cap = CEFRBand.of(overall: Double(overall))
            result = min(result, cap)
        }
        return result
    }
}

extension CEFRCalibration {
    /// The model's level (1–6) for a text's features.
    public static func level(_ features: ScoreFeatures) -> Double {
        var value = model.intercept
        for (index, name) in Self.features.enumerated() where model.deviations[index] > 0 {
            let standardised = (features.value(name) - model.means[index]) / model.deviations[index]
            value += model.weights[index] * min(max(standardised, -3), 3)
        }
        return value
    }
}
