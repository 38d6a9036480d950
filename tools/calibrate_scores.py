#!/usr/bin/env python3
"""Fits the tutor's score model on ELLIPSE and writes Sources/Tutoring/ScoreCalibration.swift.

    cakap eval scores --ellipse ELLIPSE.csv --embed URL --dump-features features.csv
    $CAKAP_HOME/python-tools-v1/bin/python tools/calibrate_scores.py features.csv \
        --out Sources/Tutoring/ScoreCalibration.swift

For each calibrated aspect (our name ← ELLIPSE's human score) two ridge regressions on
standardised inputs: one over the measured features only (used when no embedding is at hand) and
one over the features plus the learner text's all-minilm embedding. The ridge strength is chosen
by 10-fold cross-validation; the cross-validated Pearson r (each essay predicted by a model that
never saw it) is written beside the weights and is the figure to quote. Needs numpy (the tools
venv of `cakap setup` has it).
"""
import argparse
import csv
import sys

import numpy as np

ASPECTS = {
    "overall": "Overall",
    "grammar": "Grammar",
    "vocabulary": "Vocabulary",
    "written_fluency": "Phraseology",
    "coherence": "Cohesion",
    "clarity": "Syntax",
}
HUMAN = set(ASPECTS.values()) | {"Conventions", "judge"}
# Length predicts an essay's score (longer essays scored higher), but a chat's length is not the
# learner's skill: a short message must not be marked down for being short.
EXCLUDED = {"log_words"}
LAMBDAS = [0.1, 1, 3, 10, 30, 100, 300, 1000, 3000, 10000]


def fit(x, y, lam):
    mean = x.mean(0)
    deviation = x.std(0)
    deviation[deviation == 0] = 1
    z = (x - mean) / deviation
    weights = np.linalg.solve(z.T @ z + lam * np.eye(z.shape[1]), z.T @ (y - y.mean()))
    return mean, deviation, weights, y.mean()


def predict(model, x):
    mean, deviation, weights, intercept = model
    return ((x - mean) / deviation) @ weights + intercept


def cross_validated(x, y, lam, folds=10):
    order = np.random.default_rng(7).permutation(len(y))
    predicted = np.zeros(len(y))
    for fold in range(folds):
        test = order[fold::folds]
        train = np.setdiff1d(order, test)
        predicted[test] = predict(fit(x[train], y[train], lam), x[test])
    return float(np.corrcoef(predicted, y)[0, 1])


def best(x, y):
    scored = [(cross_validated(x, y, lam), lam) for lam in LAMBDAS]
    r, lam = max(scored)
    return fit(x, y, lam), r, lam


def swift_array(values, per_line=8):
    items = [f"{v:.6g}" for v in values]
    lines = [", ".join(items[i : i + per_line]) for i in range(0, len(items), per_line)]
    return "[\n            " + ",\n            ".join(lines) + ",\n        ]"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("features")
    parser.add_argument("--out", required=True)
    parser.add_argument("--judge-weight", type=float, default=0.0, help="measured by cakap eval scores --llm")
    args = parser.parse_args()
    with open(args.features, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    names = [k for k in rows[0] if k not in HUMAN and k not in EXCLUDED and not (k[0] == "e" and k[1:].isdigit())]
    embedding = sorted((k for k in rows[0] if k.startswith("e") and k[1:].isdigit()), key=lambda k: int(k[1:]))
    has_embedding = [all(row[k] != "" for k in embedding[:1]) for row in rows] if embedding else []
    x = np.array([[float(row[n]) for n in names] for row in rows])
    out = [
        "// Written by tools/calibrate_scores.py from the ELLIPSE dev half (../shared/data/ellipse-dev);",
        "// do not edit by hand. Ridge regressions on standardised inputs, one per calibrated aspect,",
        f"// fitted on {len(rows)} essays; the ridge strength chosen by 10-fold cross-validation.",
        "",
        "/// The fitted score model (docs/tutor.md, \"Scores\").",
        "public enum ScoreCalibration {",
        "    /// A linear model: `intercept + Σ weights[i] · (input[i] − means[i]) / deviations[i]`, on ELLIPSE's 1–5 scale.",
        "    public struct Model: Sendable {",
        "        public var means: [Double]",
        "        public var deviations: [Double]",
        "        public var weights: [Double]",
        "        public var intercept: Double",
        "    }",
        "",
        "    /// The measured features each model reads first, in order (`ScoreFeatures.value(_:)`).",
        "    public static let features: [String] = [" + ", ".join(f'"{n}"' for n in names) + "]",
        f"    /// Length of the embedding the second kind of model reads after the features (0: none).",
        f"    public static let embeddingDimensions = {len(embedding)}",
        "",
    ]
    summary = []
    for kind in ("features", "embedding"):
        if kind == "embedding" and not embedding:
            out.append("    public static let withEmbedding: [String: Model] = [:]")
            continue
        rows_used = [i for i in range(len(rows)) if kind == "features" or has_embedding[i]]
        xs = x[rows_used]
        if kind == "embedding":
            xs = np.hstack([xs, np.array([[float(rows[i][k]) for k in embedding] for i in rows_used])])
        name = "featuresOnly" if kind == "features" else "withEmbedding"
        doc = "Over the features only." if kind == "features" else "Over the features and the embedding."
        out.append(f"    /// {doc}")
        out.append(f"    public static let {name}: [String: Model] = [")
        for aspect, human in ASPECTS.items():
            y = np.array([float(rows[i][human]) for i in rows_used])
            (mean, deviation, weights, intercept), r, lam = best(xs, y)
            summary.append((kind, aspect, human, r, lam))
            out.append(f'        "{aspect}": Model(')
            out.append(f"            means: {swift_array(mean)},")
            out.append(f"            deviations: {swift_array(deviation)},")
            out.append(f"            weights: {swift_array(weights)},")
            out.append(f"            intercept: {intercept:.6g}),")
        out.append("    ]")
    out.append("")
    out.append("    /// Cross-validated Pearson r of each aspect with its human score, per model kind.")
    out.append("    public static let crossValidatedPearson: [String: [String: Double]] = [")
    for kind in ("features", "embedding"):
        items = [f'"{a}": {r:.3f}' for k, a, _, r, _ in summary if k == kind]
        if items:
            out.append(f'        "{kind}": [' + ", ".join(items) + "],")
    out.append("    ]")
    out.append("")
    out.append("    /// Weight of the model's judgement in the overall score: 0 until `cakap eval scores --llm` measures it.")
    out.append(f"    public static let judgeWeight = {args.judge_weight}")
    out.append("}")
    text = "\n".join(out) + "\n"
    with open(args.out, "w", encoding="utf-8") as handle:
        handle.write(text)
    for kind, aspect, human, r, lam in summary:
        print(f"{kind:10} {aspect:16} ← {human:12} CV r = {r:.3f} (ridge λ = {lam})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
