import Foundation
import Hummingbird
import ModelStore
import OllamaAPI

extension Worker {
    /// `POST /api/pull`: manifest first (its failures are status codes), then every blob through
    /// `BlobTransfer` (one downloader per blob across workers), then the manifest is written.
    func pull(_ request: Request) async throws -> Response {
        let body = try await decodeBody(PullRequest.self, from: request)
        guard let text = body.model ?? body.name, !text.isEmpty else {
            throw WorkerError.badRequest("model is required")
        }
        let name: ModelName
        do {
            name = try ModelName(parsing: text)
        } catch {
            throw WorkerError.badRequest("invalid model name '\(text)'")
        }
        guard Self.isAllowed(name, by: configuration.pullModels) else {
            throw WorkerError(
                .forbidden,
                "pulling \(name.displayName) is not allowed on this worker (an operator lists the models "
                    + "a pull may fetch in CAKAP_PULL_MODELS)")
        }
        let insecure = body.insecure ?? false
        let (manifestBytes, manifest) = try await registry.manifest(for: name, insecure: insecure)
        let total = ([manifest.config] + manifest.layers).reduce(Int64(0)) { $0 &+ max(0, $1.size) }
        guard total <= configuration.pullMaxBytes else {
            throw WorkerError(
                .forbidden,
                "\(name.displayName) is \(total) bytes; this worker pulls at most \(configuration.pullMaxBytes) "
                    + "(CAKAP_PULL_MAX_BYTES)")
        }
        let (progress, continuation) = AsyncStream<ProgressResponse>.makeStream(bufferingPolicy: .bufferingNewest(64))
        let work = Task {
            defer { continuation.finish() }
            continuation.yield(ProgressResponse(status: "pulling manifest"))
            for layer in [manifest.config] + manifest.layers {
                try await self.fetch(layer, of: name, insecure: insecure, continuation: continuation)
            }
            continuation.yield(ProgressResponse(status: "verifying sha256 digest"))
            continuation.yield(ProgressResponse(status: "writing manifest"))
            try store.writeManifest(rawBytes: manifestBytes, for: name)
            continuation.yield(ProgressResponse(status: "success"))
        }
        guard body.stream ?? true else {
            for await _ in progress {}
            do {
                try await work.value
            } catch {
                throw Self.pullError(error)
            }
            return try jsonResponse(ProgressResponse(status: "success"))
        }
        return ndjsonResponse { writer in
            do {
                for await update in progress { try await writer.write(ndjsonLine(update)) }
                try await work.value
            } catch {
                work.cancel()
                try? await writer.write(ndjsonLine(ErrorResponse(error: Self.pullError(error).message)))
            }
        }
    }

    private func fetch(
        _ layer: Manifest.Layer, of name: ModelName, insecure: Bool,
        continuation: AsyncStream<ProgressResponse>.Continuation
    ) async throws {
        let status = "pulling \(layer.digest.dropFirst("sha256:".count).prefix(12))"
        let report: @Sendable (Int64) async -> Void = { completed in
            continuation.yield(
                ProgressResponse(status: status, digest: layer.digest, total: layer.size, completed: completed))
        }
        let transfer = BlobTransfer(store: store, digest: layer.digest, size: layer.size)
        let registry = self.registry
        _ = try await transfer.ensurePresent(
            fetch: { path, offset in
                try await registry.fetchBlob(
                    layer.digest, of: name, insecure: insecure, into: path, from: offset, limit: layer.size,
                    progress: report)
            }, progress: report)
    }

    /// Whether `name` is in the operator's allowlist: `*`, or an entry with the same host,
    /// namespace and model, and the same tag when the entry names one (issue 19).
    static func isAllowed(_ name: ModelName, by allowlist: [String]) -> Bool {
        if allowlist.contains("*") { return true }
        return allowlist.contains { entry in
            guard let allowed = try? ModelName(parsing: entry) else { return false }
            let namesTag = entry.split(separator: "/").last?.contains(":") ?? false
            return allowed.host.lowercased() == name.host.lowercased()
                && allowed.namespace.lowercased() == name.namespace.lowercased()
                && allowed.model.lowercased() == name.model.lowercased()
                && (!namesTag || allowed.tag.lowercased() == name.tag.lowercased())
        }
    }

    static func pullError(_ error: any Error) -> WorkerError {
        if let error = error as? WorkerError { return error }
        if let error = error as? ModelStoreError {
            return WorkerError(.internalServerError, "pull: \(error.description)")
        }
        return WorkerError(.internalServerError, "pull failed: \(error)")
    }
}
