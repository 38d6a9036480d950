import CakapSettings
import Conversations
import Foundation

/// Everything the conversations service reads from its environment, in one place (STYLE §10).
public struct ServiceConfiguration: Sendable {
    /// The database; nil when `DB_HOST` is unset.
    public var database: DatabaseSettings?
    /// Limits and the embedding model.
    public var settings = ConversationsSettings()
    /// `CAKAP_EMBED_URLS`: comma-separated base URLs serving `/api/embed`; empty stores no vectors
    /// unless the client sends them.
    public var embedURLs: [String] = []
    /// The vector dimensions whose index the owner run creates: those of `CAKAP_OWNER_EMBED_MODELS`
    /// (every function that uses the database, so none of them needs DDL; issue 19), else the
    /// store's own.
    public var indexDimensions: [Int] = []

    public init() {}

    /// The `DB_*` and `CAKAP_EMBED_*` settings (declared in `Settings`) over the defaults.
    public static func fromEnvironment(
        _ environment: [String: String] = ProcessEnvironment.current
    )
        throws -> ServiceConfiguration
    {
        var configuration = ServiceConfiguration()
        configuration.database = try DatabaseSettings.fromEnvironment(environment)
        if let urls = environment[Settings.embedURLs] {
            configuration.embedURLs = urls.split(separator: ",").map {
                String($0.trimmingCharacters(in: .whitespaces).trimmingSuffix("/"))
            }.filter { !$0.isEmpty }
        }
        if let model = environment[Settings.embedModel], !model.isEmpty {
            configuration.settings.embeddingModel = model
        }
        if let text = environment[Settings.embedDimensions], !text.isEmpty {
            guard let value = Int(text), (1...2000).contains(value) else {
                throw ConfigurationError("CAKAP_EMBED_DIMENSIONS must be 1-2000 (pgvector indexes at most 2,000)")
            }
            configuration.settings.embeddingDimensions = value
        } else {
            // The dimension follows the model, so the store never expects 384 from a 768 model.
            let model = configuration.settings.embeddingModel
            guard let dimensions = ConversationsSettings.embeddingDimensions(of: model) else {
                throw ConfigurationError("CAKAP_EMBED_DIMENSIONS is required: the dimension of \(model) is not known")
            }
            configuration.settings.embeddingDimensions = dimensions
        }
        configuration.indexDimensions = [configuration.settings.embeddingDimensions]
        for model in (environment[Settings.ownerEmbedModels] ?? "").split(separator: ",") {
            let model = model.trimmingCharacters(in: .whitespaces)
            guard let dimensions = ConversationsSettings.embeddingDimensions(of: model) else {
                throw ConfigurationError("CAKAP_OWNER_EMBED_MODELS: the dimension of \(model) is not known")
            }
            if !configuration.indexDimensions.contains(dimensions) { configuration.indexDimensions.append(dimensions) }
        }
        return configuration
    }
}

extension String {
    fileprivate func trimmingSuffix(_ suffix: String) -> Substring {
        hasSuffix(suffix) ? dropLast(suffix.count) : Substring(self)
    }
}
