/// Harper on its own as a corrector: the first suggestion of every lint whose kind is not about
/// layout or style (Formatting, Punctuation, Readability), the reference system of
/// `../shared/data/README.md` (GLEU 0.440 on jfleg-dev).
public enum HarperCorrector {
    /// Kinds left out: on tokenised or casual text they flag spacing and style, not errors.
    public static let ignoredKinds: Set<String> = ["Formatting", "Punctuation", "Readability"]

    /// The text with the kept lints' first suggestions applied.
    public static func correct(_ text: String, lints: [HarperLint]) -> String {
        TextEdit.apply(lints.filter { !ignoredKinds.contains($0.kind) }.compactMap(\.firstEdit), to: text)
    }
}
