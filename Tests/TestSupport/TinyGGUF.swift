import Foundation

/// Writes small GGUF headers for tests (no real weights): enough for the header reader, the store
/// and the worker to treat them as models.
public enum TinyGGUF {
    /// A GGUF header with an architecture, a file type (3 = Q4_1), a context length, a chat
    /// template, a 100-entry token list and tensors of the given shapes.
    public static func make(
        architecture: String = "llama", fileType: UInt32 = 3, tensorShapes: [[UInt64]] = [[4, 2], [3]]
    ) -> Data {
        var data = Data()
        func u32(_ value: UInt32) { withUnsafeBytes(of: value.littleEndian) { data.append(contentsOf: $0) } }
        func u64(_ value: UInt64) { withUnsafeBytes(of: value.littleEndian) { data.append(contentsOf: $0) } }
        func string(_ text: String) {
            u64(UInt64(text.utf8.count))
            data.append(contentsOf: Array(text.utf8))
        }
        data.append(contentsOf: Array("GGUF".utf8))
        u32(3)
        u64(UInt64(tensorShapes.count))
        u64(5)
        string("general.architecture")
        u32(8)
        string(architecture)
        string("general.file_type")
        u32(4)
        u32(fileType)
        string("\(architecture).context_length")
        u32(4)
        u32(2048)
        string("tokenizer.chat_template")
        u32(8)
        string("{{ messages }}")
        string("tokenizer.ggml.tokens")
        u32(9)
        u32(8)
        u64(100)
        for index in 0..<100 { string("t\(index)") }
        for (index, shape) in tensorShapes.enumerated() {
            string("tensor.\(index)")
            u32(UInt32(shape.count))
            shape.forEach(u64)
            u32(0)
            u64(0)
        }
        return data
    }

    /// Writes `make(architecture:)` to a file.
    public static func write(to path: String, architecture: String = "llama") throws {
        try make(architecture: architecture).write(to: URL(fileURLWithPath: path))
    }
}

/// A fresh temporary folder, removed after the body.
public func withTemporaryDirectory<T>(_ body: (String) async throws -> T) async rethrows -> T {
    let path = NSTemporaryDirectory() + "cakap-test-\(UUID().uuidString)"
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try await body(path)
}

/// A value shared between concurrent closures in tests.
public final class LockedBox<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    public init(_ value: Value) {
        self.value = value
    }

    public func withLock<T>(_ body: (inout Value) -> T) -> T {
        lock.withLock { body(&value) }
    }
}
