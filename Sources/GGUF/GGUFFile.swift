import Foundation

/// The header of a GGUF model file: its metadata and tensor shapes, read without loading weights.
///
/// GGUF (llama.cpp's format): magic `GGUF`, version, tensor count, metadata count, then
/// `key → typed value` pairs, then one record per tensor (name, dimensions, type, offset).
public struct GGUFFile: Sendable {
    /// Metadata values by key (`general.architecture`, `llama.context_length`, …). Arrays longer
    /// than `arrayLimit` given to the reader are kept as their length only.
    public var metadata: [String: GGUFValue]
    /// Total number of weights over all tensors.
    public var parameterCount: Int64
    /// Number of tensors.
    public var tensorCount: Int

    /// The model's architecture, e.g. `llama`, `gemma3`, `bert`.
    public var architecture: String {
        metadata["general.architecture"]?.stringValue ?? "unknown"
    }

    /// Whether this is an embedding model (an encoder, or one llama.cpp pools into one vector).
    public var isEmbeddingModel: Bool {
        ["bert", "nomic-bert", "nomic-bert-moe", "jina-bert-v2", "t5encoder", "modern-bert"].contains(architecture)
            || metadata["\(architecture).pooling_type"] != nil
    }

    /// The training context length, when the file says.
    public var contextLength: Int? {
        metadata["\(architecture).context_length"]?.intValue
    }

    /// The embedded Jinja chat template, if any.
    public var chatTemplate: String? {
        metadata["tokenizer.chat_template"]?.stringValue
    }

    /// Quantisation name from `general.file_type`, e.g. `Q4_1`.
    public var quantization: String {
        guard let type = metadata["general.file_type"]?.intValue else { return "unknown" }
        return Self.fileTypeNames[type] ?? "unknown"
    }

    /// `134.52M`-style parameter count, as Ollama shows it.
    public var parameterSize: String {
        let count = Double(parameterCount)
        if count >= 1e9 { return String(format: "%.2fB", count / 1e9) }
        if count >= 1e6 { return String(format: "%.2fM", count / 1e6) }
        return String(format: "%.2fK", count / 1e3)
    }

    /// llama.cpp's `llama_ftype` values.
    static let fileTypeNames: [Int: String] = [
        0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 7: "Q8_0", 8: "Q5_0", 9: "Q5_1", 10: "Q2_K",
        11: "Q3_K_S", 12: "Q3_K_M", 13: "Q3_K_L", 14: "Q4_K_S", 15: "Q4_K_M", 16: "Q5_K_S",
        17: "Q5_K_M", 18: "Q6_K", 19: "IQ2_XXS", 20: "IQ2_XS", 21: "Q2_K_S", 22: "IQ3_XS",
        23: "IQ3_XXS", 24: "IQ1_S", 25: "IQ4_NL", 26: "IQ3_S", 27: "IQ3_M", 28: "IQ2_S",
        29: "IQ2_M", 30: "IQ4_XS", 31: "IQ1_M", 32: "BF16", 36: "TQ1_0", 37: "TQ2_0", 38: "MXFP4",
    ]
}

/// A GGUF metadata value.
public enum GGUFValue: Sendable, Equatable {
    case int(Int64)
    case unsignedInt(UInt64)
    case float(Double)
    case bool(Bool)
    case string(String)
    case array([GGUFValue])
    /// An array too long to keep: its length only.
    case longArray(count: Int)

    /// The value as a string, when it is one.
    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// The value as an integer, when it is a whole number that fits.
    public var intValue: Int? {
        switch self {
        case .int(let value): Int(exactly: value)
        case .unsignedInt(let value): Int(exactly: value)
        default: nil
        }
    }
}

/// What went wrong reading a GGUF file.
public struct GGUFError: Error, CustomStringConvertible, Sendable {
    /// A sentence for a person.
    public var description: String
}
