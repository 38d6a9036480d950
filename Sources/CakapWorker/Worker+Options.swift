import ModelStore
import OllamaAPI

/// Bounds on the options that size memory or start processes (issue 19). Without them one
/// `{"options":{"num_ctx":9223372036854775807}}` overflowed `num_ctx × parallel` in the launcher
/// (the worker trapped, and the balancer's retry took down the next one), and each distinct
/// `num_ctx` with `keep_alive: -1` started and kept another `llama-server`.
/// Options the worker does not decode (`num_batch`, `num_thread`, `num_gpu`, …) are ignored: the
/// engines take them from the worker's own settings, so no request can size them.
extension Worker {
    /// The smallest context an engine is started with; smaller requests share it.
    static let smallestContextBucket = 512
    /// `num_predict` beyond this is refused (−1: until the model stops, −2: until the context is full).
    static let numPredictRange = -2...1_048_576

    /// Options from the request over the model's params layer. Numbers of the params layer that
    /// are not whole or out of `Int`'s range are ignored (a trap on `Int(1e300)` would kill the worker).
    func effectiveOptions(_ requested: ModelOptions?, model: StoredModel) -> ModelOptions {
        var options = requested ?? ModelOptions()
        for (key, value) in model.parameters {
            switch (key, value) {
            case ("temperature", .number(let number)) where options.temperature == nil: options.temperature = number
            case ("top_p", .number(let number)) where options.topP == nil: options.topP = number
            case ("top_k", .number(let number)) where options.topK == nil: options.topK = Int(exactly: number)
            case ("repeat_penalty", .number(let number)) where options.repeatPenalty == nil:
                options.repeatPenalty = number
            case ("num_ctx", .number(let number)) where options.numCtx == nil: options.numCtx = Int(exactly: number)
            case ("stop", .strings(let stops)) where options.stop == nil: options.stop = stops
            case ("stop", .string(let stop)) where options.stop == nil: options.stop = [stop]
            default: break
            }
        }
        return options
    }

    /// The context length of the engine that serves `options`: `num_ctx` checked against
    /// 16…`CAKAP_MAX_CONTEXT_LENGTH` (else 400), then rounded up to a power of two of at least
    /// 512 (the configured default is kept as it is), so a worker runs at most a handful of
    /// sizes per model; an embedding model's is also capped by what it was trained for.
    /// - Throws: `WorkerError.badRequest` naming the option and its allowed range.
    func engineContextLength(_ options: ModelOptions?, model: StoredModel, embedding: Bool) throws -> Int {
        let maximum = configuration.maxContextLength
        if let predict = options?.numPredict, !Self.numPredictRange.contains(predict) {
            throw WorkerError.badRequest(
                "num_predict must be between \(Self.numPredictRange.lowerBound) and \(Self.numPredictRange.upperBound)")
        }
        var contextLength = configuration.contextLength
        if let requested = options?.numCtx {
            guard (16...maximum).contains(requested) else {
                throw WorkerError.badRequest("num_ctx must be between 16 and \(maximum)")
            }
            contextLength = Self.contextBucket(requested, default: configuration.contextLength, maximum: maximum)
        }
        if embedding, let trained = modelHeader(model)?.contextLength { contextLength = min(contextLength, trained) }
        return contextLength
    }

    /// `requested` rounded up to a power of two ≥ 512, at most `maximum`; `default` stays as it is.
    public static func contextBucket(_ requested: Int, default defaultLength: Int, maximum: Int) -> Int {
        if requested == defaultLength { return defaultLength }
        var bucket = smallestContextBucket
        while bucket < requested && bucket < maximum { bucket *= 2 }
        return min(bucket, maximum)
    }
}
