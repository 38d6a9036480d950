import Foundation
import ModelStore
import TestSupport
import Testing

/// The store in Ollama's layout (R-EFS-2: one folder shared by every worker).
@Suite struct ModelStoreTests {
    @Test func importWritesOllamaLayoutAndListsTheModel() async throws {
        try await withTemporaryDirectory { root in
            let store = ModelStore(root: root + "/models")
            try TinyGGUF.write(to: root + "/tiny.gguf")
            let model = try store.importGGUF(atPath: root + "/tiny.gguf", as: try ModelName(parsing: "tiny:1"))
            let manifestPath = root + "/models/manifests/registry.ollama.ai/library/tiny/1"
            #expect(FileManager.default.fileExists(atPath: manifestPath))
            let manifest = try JSONDecoder().decode(
                Manifest.self, from: Data(contentsOf: URL(fileURLWithPath: manifestPath)))
            #expect(manifest.schemaVersion == 2)
            #expect(manifest.layers.first?.mediaType == "application/vnd.ollama.image.model")
            let blob = try store.blobPath(for: manifest.layers[0].digest)
            #expect(blob.hasSuffix("/blobs/sha256-" + manifest.layers[0].digest.dropFirst(7)))
            #expect(try Digest.ofFile(at: blob) == manifest.layers[0].digest)
            #expect(model.config?.modelFamily == "llama")
            #expect(model.config?.fileType == "Q4_1")
            #expect(store.list().map(\.name.displayName) == ["tiny:1"])
        }
    }

    @Test func importIsIdempotent() async throws {
        try await withTemporaryDirectory { root in
            let store = ModelStore(root: root)
            try TinyGGUF.write(to: root + "/tiny.gguf")
            let first = try store.importGGUF(atPath: root + "/tiny.gguf", as: try ModelName(parsing: "tiny"))
            let second = try store.importGGUF(atPath: root + "/tiny.gguf", as: try ModelName(parsing: "tiny"))
            #expect(first.digest == second.digest)
            #expect(store.list().count == 1)
        }
    }

    @Test func copyAddsANameAndDeleteRemovesOnlyThatName() async throws {
        try await withTemporaryDirectory { root in
            var store = ModelStore(root: root)
            store.pruneGrace = .zero
            try TinyGGUF.write(to: root + "/tiny.gguf")
            let original = try store.importGGUF(atPath: root + "/tiny.gguf", as: try ModelName(parsing: "tiny"))
            try store.copy(from: try ModelName(parsing: "tiny"), to: try ModelName(parsing: "me/copy:2"))
            #expect(Set(store.list().map(\.name.displayName)) == ["tiny:latest", "me/copy:2"])
            try store.delete(try ModelName(parsing: "tiny"))
            #expect(store.list().map(\.name.displayName) == ["me/copy:2"])
            // The blob is still referenced by the copy, so it stays.
            #expect(FileManager.default.fileExists(atPath: original.modelPath))
            try store.delete(try ModelName(parsing: "me/copy:2"))
            #expect(!FileManager.default.fileExists(atPath: original.modelPath))
        }
    }

    /// Issue 16: `cakap models` shows a copy (the brief's model names) as an alias of its model.
    @Test func aCopyIsAnAliasOfTheModelWrittenFirst() async throws {
        try await withTemporaryDirectory { root in
            let store = ModelStore(root: root)
            try TinyGGUF.write(to: root + "/tiny.gguf")
            _ = try store.importGGUF(atPath: root + "/tiny.gguf", as: try ModelName(parsing: "tiny:1"))
            try await Task.sleep(for: .milliseconds(20))
            try store.copy(from: try ModelName(parsing: "tiny:1"), to: try ModelName(parsing: "orca-mini"))
            let targets = ModelStore.aliasTargets(among: store.list())
            let named = Dictionary(uniqueKeysWithValues: targets.map { ($0.key.displayName, $0.value.displayName) })
            #expect(named == ["orca-mini:latest": "tiny:1"])
        }
    }

    @Test func pruneKeepsYoungUnreferencedBlobs() async throws {
        try await withTemporaryDirectory { root in
            let store = ModelStore(root: root)  // default grace: 10 minutes
            try TinyGGUF.write(to: root + "/tiny.gguf")
            let model = try store.importGGUF(atPath: root + "/tiny.gguf", as: try ModelName(parsing: "tiny"))
            try store.delete(try ModelName(parsing: "tiny"))
            // Another worker may be about to write a manifest naming this blob: it survives.
            #expect(FileManager.default.fileExists(atPath: model.modelPath))
            #expect(store.prune() == 0)
        }
    }

    @Test func deletingAMissingModelIsNotFound() async throws {
        try await withTemporaryDirectory { root in
            let store = ModelStore(root: root)
            try store.prepare()
            #expect(throws: ModelStoreError.notFound("nope:latest")) {
                try store.delete(try ModelName(parsing: "nope"))
            }
        }
    }

    @Test func manifestNamingAMissingBlobIsRefused() async throws {
        try await withTemporaryDirectory { root in
            let store = ModelStore(root: root)
            try store.prepare()
            let missing = Manifest.Layer(
                mediaType: Manifest.MediaType.model, digest: "sha256:" + String(repeating: "a", count: 64), size: 1)
            #expect(throws: ModelStoreError.self) {
                try store.writeManifest(Manifest(config: missing, layers: [missing]), for: try ModelName(parsing: "x"))
            }
            #expect(store.list().isEmpty)
        }
    }

    @Test func unreadableManifestsAreSkippedWhenListing() async throws {
        try await withTemporaryDirectory { root in
            let store = ModelStore(root: root)
            try store.prepare()
            let folder = root + "/manifests/registry.ollama.ai/library/broken"
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try Data("{not json".utf8).write(to: URL(fileURLWithPath: folder + "/latest"))
            #expect(store.list().isEmpty)
            #expect(throws: ModelStoreError.self) { try store.model(named: try ModelName(parsing: "broken")) }
        }
    }
}
