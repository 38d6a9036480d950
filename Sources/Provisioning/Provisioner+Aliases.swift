import Foundation
import ModelStore

extension Provisioner {
    /// Makes each alias a manifest with its target's blobs, unless it already is one: an alias
    /// left pointing at another model (the local default changed) is rewritten.
    func ensureAlias(_ alias: ModelAlias, in store: ModelStore) throws {
        let name = try ModelName(parsing: alias.name)
        let target = try store.model(named: try ModelName(parsing: alias.target))
        if let existing = try? store.model(named: name), existing.manifest == target.manifest {
            reporter.cached("alias \(alias.name)", detail: "→ \(alias.target)")
            return
        }
        try reporter.step("alias \(alias.name) → \(alias.target)") {
            try store.writeManifest(target.manifest, for: name)
        }
    }
}
