import Foundation
import GGUF
import ModelStore

/// GGUF headers by blob path, read once (blobs are immutable: same path, same content).
final class ModelHeaderCache: @unchecked Sendable {
    static let shared = ModelHeaderCache()
    private let lock = NSLock()
    private var headers: [String: GGUFFile] = [:]

    func header(atPath path: String) -> GGUFFile? {
        if let cached = lock.withLock({ headers[path] }) { return cached }
        guard let header = try? GGUFFile(contentsOf: path, arrayLimit: 16) else { return nil }
        lock.withLock { headers[path] = header }
        return header
    }
}

extension Worker {
    func modelHeader(_ model: StoredModel) -> GGUFFile? {
        ModelHeaderCache.shared.header(atPath: model.modelPath)
    }

    func isEmbeddingModel(_ model: StoredModel) -> Bool {
        if let header = modelHeader(model) { return header.isEmbeddingModel }
        return ["bert", "nomic-bert"].contains(model.config?.modelFamily ?? "")
    }
}
