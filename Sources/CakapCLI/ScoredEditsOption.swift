import Foundation
import ModelStore
import Provisioning
import Tutoring

/// The tutor's scored edits as `cakap tutor` and `cakap eval` start them: `cakap-lmscore` from
/// `cakap setup` with SmolLM2-135M from the model store.
enum ScoredEditsOption {
    /// The model that scores candidate corrections.
    static let model = "smollm2:135m"

    /// The scorer process, started and with its model loaded, or nil (with the reason) when
    /// `cakap setup` has not built it, the model is not in the store or it does not answer.
    static func scorer(paths: CakapPaths) -> (LMScoreProcess?, String?) {
        guard FileManager.default.isExecutableFile(atPath: paths.lmScore) else {
            return (nil, "no cakap-lmscore at \(paths.lmScore); run `cakap setup`")
        }
        guard let name = try? ModelName(parsing: model),
            let stored = try? ModelStore(root: paths.models).model(named: name)
        else { return (nil, "no \(model) in the model store \(paths.models); run `cakap setup`") }
        let process = LMScoreProcess(executable: paths.lmScore, model: stored.modelPath)
        // The model loads now, not inside the first message's budget (a cold load ran past it).
        do { try process.warmUp() } catch { return (nil, "cakap-lmscore did not start: \(error)") }
        return (process, nil)
    }

    /// Scored edits with the shipped margins, or nil (with the reason).
    static func make(paths: CakapPaths) -> (ScoredEdits?, String?) {
        let (scorer, reason) = scorer(paths: paths)
        return (scorer.map { ScoredEdits(scorer: $0) }, reason)
    }
}
