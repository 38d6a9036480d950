import Foundation

/// One model in the store: its name, manifest and what the config blob says of it.
public struct StoredModel: Sendable {
    /// The model's name.
    public let name: ModelName
    /// Its manifest.
    public let manifest: Manifest
    /// sha256 of the manifest bytes (hex), Ollama's `digest` in `/api/tags`.
    public let digest: String
    /// When the manifest was written.
    public let modified: Date
    /// The config blob, when present and readable.
    public let config: ModelConfig?
    /// Path of the GGUF weights.
    public let modelPath: String
    /// Default options from the params layer (JSON object), if any.
    public let parameters: [String: ParameterValue]
    /// Default system prompt from the system layer, if any.
    public let system: String?
    /// The Go chat template from the template layer, if any (Ollama's prompt format).
    public let template: String?

    /// Total size of every blob in bytes.
    public var size: Int64 { manifest.layers.reduce(manifest.config.size) { $0 + $1.size } }

    init(name: ModelName, manifestBytes: Data, modified: Date, store: ModelStore) throws {
        let manifest: Manifest
        do {
            manifest = try JSONDecoder().decode(Manifest.self, from: manifestBytes)
        } catch {
            throw ModelStoreError.corrupt("manifest of \(name) does not parse")
        }
        guard let model = manifest.layer(ofType: Manifest.MediaType.model) else {
            throw ModelStoreError.corrupt("manifest of \(name) has no model layer")
        }
        self.name = name
        self.manifest = manifest
        self.digest = String(Digest.of(manifestBytes).dropFirst("sha256:".count))
        self.modified = modified
        self.modelPath = try store.blobPath(for: model.digest)
        let configBytes = (try? store.blobPath(for: manifest.config.digest)).flatMap {
            FileManager.default.contents(atPath: $0)
        }
        self.config = configBytes.flatMap { try? JSONDecoder().decode(ModelConfig.self, from: $0) }
        let paramsBytes = manifest.layer(ofType: Manifest.MediaType.params).flatMap {
            (try? store.blobPath(for: $0.digest)).flatMap { FileManager.default.contents(atPath: $0) }
        }
        self.parameters =
            paramsBytes.flatMap { try? JSONDecoder().decode([String: ParameterValue].self, from: $0) } ?? [:]
        func text(ofLayer mediaType: String) -> String? {
            manifest.layer(ofType: mediaType).flatMap {
                (try? store.blobPath(for: $0.digest)).flatMap { FileManager.default.contents(atPath: $0) }
            }.map { String(decoding: $0, as: UTF8.self) }
        }
        self.system = text(ofLayer: Manifest.MediaType.system)
        self.template = text(ofLayer: Manifest.MediaType.template)
    }
}

/// A value in a params layer: a number, a string or a list of strings (`stop`).
public enum ParameterValue: Codable, Sendable, Equatable {
    case number(Double)
    case string(String)
    case strings([String])
    case bool(Bool)

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else {
            self = .strings(try container.decode([String].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .number(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .strings(let value): try container.encode(value)
        case .bool(let value): try container.encode(value)
        }
    }
}
