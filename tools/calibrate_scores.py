#!/usr/bin/env python3
"""Fits the tutor's score model on ELLIPSE and writes Sources/Tutoring/Generated/ScoreCalibration.swift.

    cakap eval scores --ellipse ELLIPSE.csv --embed URL --dump-features features.csv
    $CAKAP_HOME/python-tools-v1/bin/python tools/calibrate_scores.py features.csv \
        --out Sources/Tutoring/Generated/ScoreCalibration.swift
    swift format format -i Sources/Tutoring/Generated/*.swift

For each calibrated aspect (our name ← ELLIPSE's human score) two ridge regressions on
standardised inputs: one over the measured features only (used when no embedding is at hand) and
one over the features plus the learner text's all-minilm embedding, whose block is scaled against
the features (a penalty of its own). The ridge strength and that scale are chosen by 10-fold
cross-validation of the model as the tutor applies it; the cross-validated Pearson r (each essay
predicted by a model that never saw it) is written beside the weights and is the figure to
quote. Embedding takes about 15 minutes: dump once, refit from the file as often as needed, and
report with `cakap eval scores --embeddings-from features.csv`. Needs numpy (the tools venv of
`cakap setup` has it).

The CEFR band (issue 18) is fitted the same way on CEFR-SP's sentence levels and written to
Sources/Tutoring/Generated/CEFRCalibration.swift:

    cakap eval scores --ellipse ELLIPSE.csv --cefr-sp ../shared/data/cefr-sp --dump-cefr cefr.csv
    python tools/calibrate_scores.py --cefr cefr.csv --cefr-out Sources/Tutoring/Generated/CEFRCalibration.swift

a ridge regression of the level (mean of the two annotators, 1–6) on the text-complexity features
(train split, strength by 10-fold CV), then five cut points on its output chosen on train to
maximise exact agreement; the dev split is only reported.
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
# Our aspect's name → its case of the `Aspect` enum.
SWIFT_ASPECTS = {
    "overall": "overall", "grammar": "grammar", "vocabulary": "vocabulary", "written_fluency": "writtenFluency",
    "coherence": "coherence", "clarity": "clarity",
}
# The measured features the score models read, in order (`ScoreFeatures.value(_:)` knows each).
# Error rates and MTLD on a log scale and the unknown-word share as a square root: a few more
# mistakes mean more in a clean text than in a messy one (CV r for overall, features only, 0.584
# → 0.597; with the embedding 0.629 → 0.639). Length is left out: it predicts an essay's score
# (longer essays scored higher), but a chat's length is not the learner's skill, so a short
# message must not be marked down for being short. The per-category error rates of the dump
# added nothing beside the grammar rate (0.564 → 0.565) and are left out too.
MODEL_FEATURES = [
    "log_grammar_per100", "log_spelling_per100", "log_conventions_per100", "log_mtld", "mean_word_level",
    "advanced_share", "sqrt_unknown_share", "mean_sentence_length", "sentence_length_sd",
    "subordinators_per_sentence", "connectives_per100", "mean_word_length",
]
# How each transformed feature follows from a dumped one (for dumps made before they were dumped).
DERIVED = {
    "log_grammar_per100": ("grammar_per100", np.log1p),
    "log_spelling_per100": ("spelling_per100", np.log1p),
    "log_conventions_per100": ("conventions_per100", np.log1p),
    "log_mtld": ("mtld", np.log1p),
    "sqrt_unknown_share": ("unknown_share", np.sqrt),
}
# Error rates: their weights may only lower a score (`ScoreCalibration.errorFeatures` enforces it).
ERROR_FEATURES = {"log_grammar_per100", "log_spelling_per100", "log_conventions_per100"}
LAMBDAS = [0.1, 1, 3, 10, 30, 100, 300, 1000, 3000, 10000]
# The 384 embedding columns against the dozen features: one penalty for all let the embedding
# crowd the features out; its block is scaled by one of these (chosen by the same CV; a block
# scaled by s is penalised λ/s²).
EMBEDDING_SCALES = [0.2, 0.25, 0.35, 0.5, 0.7, 1.0]


def fit(x, y, lam, scale=None, errors=None):
    """Ridge on standardised inputs; `scale` multiplies each standardised column before the fit and
    is folded into the weights it returns. Columns in `errors` get no positive weight."""
    mean = x.mean(0)
    deviation = x.std(0)
    deviation[deviation == 0] = 1
    scale = np.ones(x.shape[1]) if scale is None else scale
    z = (x - mean) / deviation * scale
    weights = np.linalg.solve(z.T @ z + lam * np.eye(z.shape[1]), z.T @ (y - y.mean())) * scale
    if errors is not None:
        weights[errors] = np.minimum(weights[errors], 0)
    return mean, deviation, weights, y.mean()


def predict(model, x, clip=False):
    """As `ScoreEngine.scores` computes it when `clip` (inputs held within three deviations)."""
    mean, deviation, weights, intercept = model
    z = (x - mean) / deviation
    return (np.clip(z, -3, 3) if clip else z) @ weights + intercept


def cross_validated(x, y, lam, folds=10, scale=None, errors=None):
    """Pearson r of each row predicted by a model fitted without it; with `errors` given, the model
    and its prediction are the tutor's (error weights ≤ 0, inputs clipped at ±3 deviations)."""
    order = np.random.default_rng(7).permutation(len(y))
    predicted = np.zeros(len(y))
    for fold in range(folds):
        test = order[fold::folds]
        train = np.setdiff1d(order, test)
        model = fit(x[train], y[train], lam, scale, errors)
        predicted[test] = predict(model, x[test], clip=errors is not None)
    return float(np.corrcoef(predicted, y)[0, 1])


def best(x, y, features=None, errors=None):
    """The ridge strength (and, with `features` columns first and an embedding after them, the
    embedding block's scale against the features) of the best cross-validated r, and its fit."""
    scales = EMBEDDING_SCALES if features is not None and features < x.shape[1] else [1.0]
    scored = []
    for block in scales:
        scale = np.ones(x.shape[1])
        if features is not None:
            scale[features:] = block
        scored += [(cross_validated(x, y, lam, scale=scale, errors=errors), lam, block) for lam in LAMBDAS]
    r, lam, block = max(scored)
    scale = np.ones(x.shape[1])
    if features is not None:
        scale[features:] = block
    return fit(x, y, lam, scale, errors), r, (lam, block)


def swift_array(values, per_line=8, indent=12):
    items = [f"{v:.6g}" for v in values]
    lines = [", ".join(items[i : i + per_line]) for i in range(0, len(items), per_line)]
    pad = " " * indent
    return f"[\n{pad}" + f",\n{pad}".join(lines) + f",\n{' ' * (indent - 4)}]"


# Sentence difficulty, not accuracy: CEFR-SP's sentences are edited Wikipedia text, so error
# rates carry no signal there; a text's total length is not a sentence's level either.
CEFR_FEATURES = [
    "mean_word_level", "advanced_share", "unknown_share", "mean_sentence_length",
    "subordinators_per_sentence", "connectives_per100", "mean_word_length",
]


def fit_cuts(predicted, bands):
    """Five increasing cut points on the predicted level, maximising exact agreement (coordinate search)."""
    cuts = [1.5, 2.5, 3.5, 4.5, 5.5]
    grid = np.arange(1.0, 6.01, 0.02)

    def accuracy(c):
        return float(np.mean(1 + np.searchsorted(np.array(c), predicted, side="right") == bands))

    for _ in range(4):
        for k in range(5):
            low = cuts[k - 1] if k else 0.0
            high = cuts[k + 1] if k < 4 else 7.0
            options = [g for g in grid if low < g < high]
            cuts[k] = max(options, key=lambda g: accuracy(cuts[:k] + [g] + cuts[k + 1 :]))
    return cuts, accuracy(cuts)


def calibrate_cefr(path, out):
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    split = {name: [r for r in rows if r["split"] == name] for name in ("train", "dev")}
    x = {k: np.array([[float(r[n]) for n in CEFR_FEATURES] for r in v]) for k, v in split.items()}
    y = {k: np.array([float(r["level"]) for r in v]) for k, v in split.items()}
    bands = {k: np.floor(v + 0.5).clip(1, 6) for k, v in y.items()}
    (mean, deviation, weights, intercept), r, (lam, _) = best(x["train"], y["train"])
    z = lambda m: np.clip((m - mean) / deviation, -3, 3) @ weights + intercept  # noqa: E731 (as Swift does)
    cuts, train_exact = fit_cuts(z(x["train"]), bands["train"])
    dev_bands = 1 + np.searchsorted(np.array(cuts), z(x["dev"]), side="right")
    within = float(np.mean(np.abs(dev_bands - bands["dev"]) <= 1))
    exact = float(np.mean(dev_bands == bands["dev"]))
    dev_r = float(np.corrcoef(z(x["dev"]), y["dev"])[0, 1])
    lines = [
        "// Written by tools/calibrate_scores.py --cefr from CEFR-SP's Wiki-Auto sentences",
        "// (../shared/data/cefr-sp); do not edit by hand. A ridge regression of the level (1–6) on",
        f"// standardised text features, fitted on {len(y['train'])} train sentences (strength by 10-fold CV,",
        f"// CV r = {r:.3f}), and cut points chosen on train (exact {train_exact:.3f}).",
        f"// Dev ({len(y['dev'])} sentences): within one band {within:.3f}, exact {exact:.3f}, r = {dev_r:.3f}.",
        "",
        "/// The fitted CEFR band model (docs/tutor.md, \"Scores\").",
        "public enum CEFRCalibration {",
        "    /// The features the model reads, in order (`ScoreFeatures.value(_:)`).",
        "    public static let features: [String] = [",
        *[f'        "{n}",' for n in CEFR_FEATURES],
        "    ]",
        "    /// Level 1–6 = intercept + Σ weights · clamp((feature − mean) / deviation, ±3).",
        "    public static let model = ScoreCalibration.Model(",
        f"        means: {swift_array(mean)},",
        f"        deviations: {swift_array(deviation)},",
        f"        weights: {swift_array(weights)},",
        f"        intercept: {intercept:.6g})",
        "    /// A level at or above cuts[k] is band k + 2 (A2 …); below cuts[0], A1.",
        "    public static let cuts: [Double] = [" + ", ".join(f"{c:.2f}" for c in cuts) + "]",
        "}",
    ]
    with open(out, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    print(f"CEFR: CV r {r:.3f} (λ {lam}); train exact {train_exact:.3f}; dev within one {within:.3f}, "
          f"exact {exact:.3f}, r {dev_r:.3f}; cuts {cuts}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("features", nargs="?")
    parser.add_argument("--out")
    parser.add_argument("--cefr", help="CSV from cakap eval scores --dump-cefr")
    parser.add_argument("--cefr-out", help="where to write CEFRCalibration.swift")
    parser.add_argument("--judge-weight", type=float, default=0.0, help="measured by cakap eval scores --llm")
    args = parser.parse_args()
    if args.cefr:
        return calibrate_cefr(args.cefr, args.cefr_out)
    if not args.features or not args.out:
        parser.error("features and --out are required (or --cefr and --cefr-out)")
    with open(args.features, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    names = MODEL_FEATURES
    embedding = sorted((k for k in rows[0] if k.startswith("e") and k[1:].isdigit()), key=lambda k: int(k[1:]))
    has_embedding = [all(row[k] != "" for k in embedding[:1]) for row in rows] if embedding else []

    def column(name):
        if name in rows[0]:
            return np.array([float(row[name]) for row in rows])
        source, transform = DERIVED[name]
        return transform(np.array([float(row[source]) for row in rows]))

    x = np.column_stack([column(n) for n in names])
    errors = np.array([n in ERROR_FEATURES for n in names])
    out = [
        "// Generated by tools/calibrate_scores.py from the ELLIPSE dev half (../shared/data/ellipse-dev);",
        "// do not edit by hand. Ridge regressions on standardised inputs, one per calibrated aspect,",
        f"// fitted on {len(rows)} essays; the ridge strength (and the embedding block's scale) chosen by",
        "// 10-fold cross-validation of the model as the tutor applies it (inputs clipped at ±3",
        "// deviations, error rates never raising a score). The types are in ScoreCalibration+Model.swift.",
        "",
        "/// The fitted score model (docs/tutor.md, \"Scores\").",
        "public enum ScoreCalibration {",
        "    /// The measured features each model reads first, in order (`ScoreFeatures.value(_:)`).",
        "    public static let features: [String] = [" + ", ".join(f'"{n}"' for n in names) + "]",
        f"    /// Length of the embedding the second kind of model reads after the features (0: none).",
        f"    public static let embeddingDimensions = {len(embedding)}",
        "",
    ]
    summary = []
    for kind in ("features", "embedding"):
        name = "featuresOnly" if kind == "features" else "withEmbedding"
        if kind == "embedding" and not embedding:
            out.append(f"    public static let {name} = Models(means: [], deviations: [], aspects: [:])")
            continue
        rows_used = [i for i in range(len(rows)) if kind == "features" or has_embedding[i]]
        xs = x[rows_used]
        if kind == "embedding":
            xs = np.hstack([xs, np.array([[float(rows[i][k]) for k in embedding] for i in rows_used])])
        doc = "Over the features only." if kind == "features" else "Over the features and the embedding."
        fitted = []
        for aspect, human in ASPECTS.items():
            y = np.array([float(rows[i][human]) for i in rows_used])
            error_columns = np.concatenate([errors, np.zeros(xs.shape[1] - len(names), dtype=bool)])
            model, r, lam = best(xs, y, features=len(names) if kind == "embedding" else None, errors=error_columns)
            summary.append((kind, aspect, human, r, lam))
            fitted.append((aspect, model))
        # Every aspect standardises the same rows, so the means and deviations are written once.
        mean, deviation = fitted[0][1][0], fitted[0][1][1]
        assert all(np.array_equal(m[0], mean) and np.array_equal(m[1], deviation) for _, m in fitted)
        out.append(f"    /// {doc}")
        out.append(f"    public static let {name} = Models(")
        out.append(f"        means: {swift_array(mean, indent=12)},")
        out.append(f"        deviations: {swift_array(deviation, indent=12)},")
        out.append("        aspects: [")
        for aspect, (_, _, weights, intercept) in fitted:
            out.append(f"            .{SWIFT_ASPECTS[aspect]}: Weights(")
            out.append(f"                weights: {swift_array(weights, indent=20)},")
            out.append(f"                intercept: {intercept:.6g}),")
        out.append("        ])")
    out.append("")
    out.append("    /// Cross-validated Pearson r of each aspect with its human score, per model kind.")
    out.append("    public static let crossValidatedPearson: [Kind: [Aspect: Double]] = [")
    for kind in ("features", "embedding"):
        items = [f".{SWIFT_ASPECTS[a]}: {r:.3f}" for k, a, _, r, _ in summary if k == kind]
        if items:
            out.append(f"        .{kind}: [" + ", ".join(items) + "],")
    out.append("    ]")
    out.append("")
    out.append("    /// Weight of the model's judgement in the overall score: 0 until `cakap eval scores --llm` measures it.")
    out.append(f"    public static let judgeWeight = {args.judge_weight}")
    out.append("}")
    text = "\n".join(out) + "\n"
    with open(args.out, "w", encoding="utf-8") as handle:
        handle.write(text)
    for kind, aspect, human, r, lam in summary:
        print(f"{kind:10} {aspect:16} ← {human:12} CV r = {r:.3f} (ridge λ = {lam[0]}, embedding scale {lam[1]})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
