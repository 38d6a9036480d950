/// Turns the learner's text into a vector. `HTTPEmbedder` calls the LLM pool's `/api/embed`;
/// `FakeEmbedder` is for unit tests.
public protocol Embedder: Sendable {
    /// The model name recorded with every vector this embedder makes.
    var model: String { get }
    /// One vector for `text`.
    func embed(_ text: String) async throws -> [Float]
}

/// A deterministic embedder for unit tests: a bag of hashed character trigrams, L2-normalised,
/// so texts sharing words are near each other. `failing` makes every call throw.
public struct FakeEmbedder: Embedder {
    public let model: String
    public let dimensions: Int
    public let failing: Bool

    public init(model: String = "fake-embed", dimensions: Int = 8, failing: Bool = false) {
        self.model = model
        self.dimensions = dimensions
        self.failing = failing
    }

    struct Failure: Error {}

    public func embed(_ text: String) async throws -> [Float] {
        if failing { throw Failure() }
        var vector = [Float](repeating: 0, count: dimensions)
        let scalars = Array(text.lowercased().unicodeScalars)
        for index in scalars.indices.dropLast(2) {
            var hash: UInt32 = 2_166_136_261
            for scalar in scalars[index..<index + 3] { hash = (hash ^ scalar.value) &* 16_777_619 }
            vector[Int(hash % UInt32(dimensions))] += 1
        }
        let norm = vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return norm > 0 ? vector.map { $0 / norm } : vector
    }
}
