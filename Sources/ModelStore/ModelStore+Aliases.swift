import Foundation

extension ModelStore {
    /// Which names are aliases, and of what: among models with the same manifest (the same blobs,
    /// as `copy` or `ollama cp` make them), the one written first is the model and every later
    /// name an alias of it (ties: the name that sorts first is the model).
    /// - Returns: alias name → the model it stands for; models with no second name are absent.
    public static func aliasTargets(among models: [StoredModel]) -> [ModelName: ModelName] {
        var targets: [ModelName: ModelName] = [:]
        var groups: [Data: [StoredModel]] = [:]
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        for model in models {
            guard let key = try? encoder.encode(model.manifest) else { continue }
            groups[key, default: []].append(model)
        }
        for group in groups.values where group.count > 1 {
            let ordered = group.sorted {
                ($0.modified, $0.name.displayName) < ($1.modified, $1.name.displayName)
            }
            for alias in ordered.dropFirst() { targets[alias.name] = ordered[0].name }
        }
        return targets
    }
}
