/// A model's manifest: the OCI-style document that lists its blobs (Ollama's format).
public struct Manifest: Codable, Sendable, Equatable {
    /// Always 2.
    public var schemaVersion: Int
    /// `application/vnd.docker.distribution.manifest.v2+json`.
    public var mediaType: String
    /// The config blob (model format, family, type).
    public var config: Layer
    /// The model file and its companions (params, template, system, license).
    public var layers: [Layer]

    public init(config: Layer, layers: [Layer]) {
        self.schemaVersion = 2
        self.mediaType = Self.mediaType
        self.config = config
        self.layers = layers
    }

    /// The manifest media type Ollama writes.
    public static let mediaType = "application/vnd.docker.distribution.manifest.v2+json"

    /// One blob of a model.
    public struct Layer: Codable, Sendable, Equatable {
        /// What the blob is: see `MediaType`.
        public var mediaType: String
        /// `sha256:<hex>`.
        public var digest: String
        /// Size in bytes.
        public var size: Int64

        public init(mediaType: String, digest: String, size: Int64) {
            self.mediaType = mediaType
            self.digest = digest
            self.size = size
        }
    }

    /// The media types of Ollama's layers.
    public enum MediaType {
        /// The GGUF weights.
        public static let model = "application/vnd.ollama.image.model"
        /// Default parameters (JSON object).
        public static let params = "application/vnd.ollama.image.params"
        /// A Go chat template (Ollama's syntax), rendered by the worker before the GGUF's own.
        public static let template = "application/vnd.ollama.image.template"
        /// A default system prompt.
        public static let system = "application/vnd.ollama.image.system"
        /// The licence text.
        public static let license = "application/vnd.ollama.image.license"
        /// The config blob.
        public static let config = "application/vnd.docker.container.image.v1+json"
    }

    /// Every blob digest, config first.
    public var allDigests: [String] { [config.digest] + layers.map(\.digest) }

    /// The layer of the given media type, if any.
    public func layer(ofType mediaType: String) -> Layer? {
        layers.first { $0.mediaType == mediaType }
    }
}

/// The config blob Ollama writes beside a model (only the fields we use or write).
public struct ModelConfig: Codable, Sendable, Equatable {
    public var modelFormat: String
    public var modelFamily: String
    public var modelFamilies: [String]
    public var modelType: String
    public var fileType: String
    public var architecture: String
    public var os: String

    public init(family: String, modelType: String, fileType: String) {
        self.modelFormat = "gguf"
        self.modelFamily = family
        self.modelFamilies = [family]
        self.modelType = modelType
        self.fileType = fileType
        self.architecture = "amd64"
        self.os = "linux"
    }

    enum CodingKeys: String, CodingKey {
        case os, architecture
        case modelFormat = "model_format"
        case modelFamily = "model_family"
        case modelFamilies = "model_families"
        case modelType = "model_type"
        case fileType = "file_type"
    }
}
