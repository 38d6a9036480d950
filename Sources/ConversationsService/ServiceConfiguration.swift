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

    public init() {}

    /// The variables and what they mean, for `cakap config`.
    public static let descriptions: [(String, String)] =
        DatabaseSettings.descriptions + [
            (
                "CAKAP_EMBED_URLS",
                "comma-separated base URLs of the LLM pool for /api/embed (empty: no server-side vectors)"
            ),
            ("CAKAP_EMBED_MODEL", "embedding model (default all-minilm)"),
            ("CAKAP_EMBED_DIMENSIONS", "its vector dimension, 1-2000 (default 384)"),
        ]

    public static func fromEnvironment(
        _ environment: [String: String] = ProcessInfo.processInfo.environment
    )
        throws -> ServiceConfiguration
    {
        var configuration = ServiceConfiguration()
        configuration.database = try DatabaseSettings.fromEnvironment(environment)
        if let urls = environment["CAKAP_EMBED_URLS"] {
            configuration.embedURLs = urls.split(separator: ",").map {
                String($0.trimmingCharacters(in: .whitespaces).trimmingSuffix("/"))
            }.filter { !$0.isEmpty }
        }
        if let model = environment["CAKAP_EMBED_MODEL"], !model.isEmpty {
            configuration.settings.embeddingModel = model
        }
        if let text = environment["CAKAP_EMBED_DIMENSIONS"], !text.isEmpty {
            guard let value = Int(text), (1...2000).contains(value) else {
                throw ConfigurationError("CAKAP_EMBED_DIMENSIONS must be 1-2000 (pgvector indexes at most 2,000)")
            }
            configuration.settings.embeddingDimensions = value
        }
        return configuration
    }
}

extension String {
    fileprivate func trimmingSuffix(_ suffix: String) -> Substring {
        hasSuffix(suffix) ? dropLast(suffix.count) : Substring(self)
    }
}
