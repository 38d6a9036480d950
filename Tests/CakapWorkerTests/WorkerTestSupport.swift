import CakapWorker
import Foundation
import Hummingbird
import HummingbirdTesting
import ModelStore
import TestSupport

/// A worker over a temporary store holding two tiny models (`tiny:latest`, a chat model, and
/// `tiny-embed:latest`, a BERT-style embedding model), with a fake engine.
struct WorkerFixture {
    let root: String
    let launcher: FakeEngineLauncher
    var configuration: WorkerConfiguration

    init(launcher: FakeEngineLauncher = FakeEngineLauncher(), parallel: Int = 2, maxQueue: Int = 8) throws {
        root = NSTemporaryDirectory() + "cakap-worker-test-\(UUID().uuidString)"
        self.launcher = launcher
        let store = ModelStore(root: root + "/models")
        try store.prepare()
        try TinyGGUF.make(architecture: "llama").write(to: URL(fileURLWithPath: root + "/chat.gguf"))
        try TinyGGUF.make(architecture: "bert").write(to: URL(fileURLWithPath: root + "/embed.gguf"))
        try store.importGGUF(atPath: root + "/chat.gguf", as: try ModelName(parsing: "tiny"))
        try store.importGGUF(atPath: root + "/embed.gguf", as: try ModelName(parsing: "tiny-embed"))
        configuration = WorkerConfiguration(modelsRoot: root + "/models", enginePath: "/bin/sh")
        configuration.port = 0
        configuration.numParallel = parallel
        configuration.maxQueue = maxQueue
        configuration.logDirectory = root + "/logs"
    }

    func test<Value: Sendable>(
        _ setup: TestingSetup = .router, _ body: @escaping @Sendable (any TestClientProtocol) async throws -> Value
    ) async throws -> Value {
        defer { try? FileManager.default.removeItem(atPath: root) }
        let app = try buildWorkerApplication(configuration: configuration, launcher: launcher)
        return try await app.test(setup) { client in try await body(client) }
    }
}

extension ByteBuffer {
    /// A JSON body from a string literal.
    static func json(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }
}

/// Decodes a JSON object body.
func jsonObject(_ buffer: ByteBuffer) -> [String: Any] {
    (try? JSONSerialization.jsonObject(with: Data(buffer: buffer)) as? [String: Any]) ?? [:]
}

/// Decodes NDJSON lines.
func ndjsonObjects(_ buffer: ByteBuffer) -> [[String: Any]] {
    String(buffer: buffer).split(separator: "\n").compactMap {
        try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
    }
}
