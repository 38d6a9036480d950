import Foundation
import GGUF

extension ModelStore {
    /// Copies a local file into the store as a blob (skipped if the same content is there).
    /// - Returns: the layer describing it.
    public func importBlob(fromFile path: String, mediaType: String) throws -> Manifest.Layer {
        let digest = try Digest.ofFile(at: path)
        let size = BlobTransfer.fileSize(path)
        let destination = try blobPath(for: digest)
        if !FileManager.default.fileExists(atPath: destination) {
            let temporary = "\(destination).tmp-\(UInt64.random(in: 0...UInt64.max))"
            do {
                try FileManager.default.copyItem(atPath: path, toPath: temporary)
            } catch {
                throw ModelStoreError.io("cannot copy \(path) into the store: \(error.localizedDescription)")
            }
            try Self.renameReplacing(temporary, destination)
        }
        return Manifest.Layer(mediaType: mediaType, digest: digest, size: size)
    }

    /// Stores bytes as a blob (idempotent).
    public func importBlob(bytes: Data, mediaType: String) throws -> Manifest.Layer {
        let digest = Digest.of(bytes)
        let destination = try blobPath(for: digest)
        if !FileManager.default.fileExists(atPath: destination) {
            try Self.writeAtomically(bytes, to: destination)
        }
        return Manifest.Layer(mediaType: mediaType, digest: digest, size: Int64(bytes.count))
    }

    /// Adds a GGUF file to the store under `name`, with a config blob describing it and, when given,
    /// a params layer of default options. Idempotent: the same file and name give the same manifest.
    @discardableResult
    public func importGGUF(
        atPath path: String, as name: ModelName, parameters: [String: ParameterValue] = [:]
    ) throws -> StoredModel {
        try prepare()
        let header: GGUFFile
        do {
            header = try GGUFFile(contentsOf: path)
        } catch {
            throw ModelStoreError.corrupt("\(path) is not a usable GGUF file: \(error)")
        }
        var layers = [try importBlob(fromFile: path, mediaType: Manifest.MediaType.model)]
        if !parameters.isEmpty {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            layers.append(try importBlob(bytes: try encoder.encode(parameters), mediaType: Manifest.MediaType.params))
        }
        let config = ModelConfig(
            family: header.architecture, modelType: header.parameterSize, fileType: header.quantization)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let configLayer = try importBlob(bytes: try encoder.encode(config), mediaType: Manifest.MediaType.config)
        try writeManifest(Manifest(config: configLayer, layers: layers), for: name)
        return try model(named: name)
    }
}
