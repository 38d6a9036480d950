/// A model's full name, as Ollama splits it: `host/namespace/model:tag`.
///
/// `smollm2:135m` is `registry.ollama.ai/library/smollm2:135m`; a missing tag is `latest`.
/// Each part is checked so that a name can never escape the store's folders.
public struct ModelName: Hashable, Sendable, CustomStringConvertible {
    /// Registry host (may carry a port), e.g. `registry.ollama.ai`.
    public var host: String
    /// Namespace, e.g. `library`.
    public var namespace: String
    /// Model, e.g. `smollm2`.
    public var model: String
    /// Tag, e.g. `135m`.
    public var tag: String

    /// The registry every short name refers to.
    public static let defaultHost = "registry.ollama.ai"
    /// The namespace of official models.
    public static let defaultNamespace = "library"

    public init(host: String, namespace: String, model: String, tag: String) {
        self.host = host
        self.namespace = namespace
        self.model = model
        self.tag = tag
    }

    /// Parses `model`, `model:tag`, `namespace/model:tag` or `host/namespace/model:tag`.
    /// - Throws: `ModelStoreError.invalidName` for empty parts, unknown characters or `..`.
    public init(parsing text: String) throws {
        var rest = Substring(text.trimmingCharacters(in: .whitespaces))
        var tag = "latest"
        if let colon = rest.lastIndex(of: ":"), !rest[colon...].contains("/") {
            tag = String(rest[rest.index(after: colon)...])
            rest = rest[..<colon]
        }
        let parts = rest.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        switch parts.count {
        case 1: (host, namespace, model) = (Self.defaultHost, Self.defaultNamespace, parts[0])
        case 2: (host, namespace, model) = (Self.defaultHost, parts[0], parts[1])
        case 3: (host, namespace, model) = (parts[0], parts[1], parts[2])
        default: throw ModelStoreError.invalidName(text)
        }
        self.tag = tag
        for (part, allowsColon) in [(host, true), (namespace, false), (model, false), (tag, false)] {
            guard Self.isValidPart(part, allowsColon: allowsColon) else {
                throw ModelStoreError.invalidName(text)
            }
        }
    }

    static func isValidPart(_ part: String, allowsColon: Bool) -> Bool {
        guard !part.isEmpty, part.count <= 128, part != ".", part != "..", !part.hasPrefix(".") else { return false }
        return part.unicodeScalars.allSatisfy { scalar in
            (scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar)))
                || "_.-".unicodeScalars.contains(scalar) || (allowsColon && scalar == ":")
        }
    }

    /// How Ollama shows the name: the shortest unambiguous form.
    public var displayName: String {
        if host == Self.defaultHost && namespace == Self.defaultNamespace { return "\(model):\(tag)" }
        if host == Self.defaultHost { return "\(namespace)/\(model):\(tag)" }
        return "\(host)/\(namespace)/\(model):\(tag)"
    }

    public var description: String { displayName }

    /// The manifest's path below `manifests/`.
    var manifestRelativePath: String { "\(host)/\(namespace)/\(model)/\(tag)" }
}
