import AsyncHTTPClient
import Foundation
import ModelStore
import NIOCore
import NIOFoundationCompat
import NIOHTTP1

/// Reads models from an Ollama-compatible (OCI distribution) registry:
/// `GET /v2/<namespace>/<model>/manifests/<tag>` then `GET /v2/<namespace>/<model>/blobs/<digest>`.
public struct RegistryClient: Sendable {
    let httpClient: HTTPClient
    /// Where names of the default host (`registry.ollama.ai`) are fetched from (`CAKAP_REGISTRY`).
    let defaultRegistry: String
    /// Other hosts a name may give (`CAKAP_PULL_HOSTS`, lowercased; `*` for any).
    let allowedHosts: [String]

    public init(httpClient: HTTPClient, defaultRegistry: String, allowedHosts: [String] = []) {
        self.httpClient = httpClient
        self.defaultRegistry = defaultRegistry.hasSuffix("/") ? String(defaultRegistry.dropLast()) : defaultRegistry
        self.allowedHosts = allowedHosts
    }

    /// The base URL for a name's host; plain HTTP only when `insecure`. A host other than the
    /// default one must be allowed, so a pull cannot reach an address the caller chooses.
    func baseURL(for name: ModelName, insecure: Bool) throws -> String {
        if name.host != ModelName.defaultHost && !allowedHosts.contains("*")
            && !allowedHosts.contains(name.host.lowercased())
        {
            throw WorkerError(
                .forbidden,
                "pulling from \(name.host) is not allowed on this worker; names without a host come from "
                    + "\(ModelName.defaultHost) (an operator may allow other hosts with CAKAP_PULL_HOSTS)")
        }
        let base =
            name.host == ModelName.defaultHost ? defaultRegistry : (insecure ? "http://" : "https://") + name.host
        if base.hasPrefix("http://") && !insecure {
            throw WorkerError.badRequest("insecure protocol http not allowed for \(base); set \"insecure\": true")
        }
        return base
    }

    /// The manifest's bytes (kept as sent, so its digest matches the registry's) and its parsed form.
    func manifest(for name: ModelName, insecure: Bool) async throws -> (Data, Manifest) {
        let url =
            try baseURL(for: name, insecure: insecure) + "/v2/\(name.namespace)/\(name.model)/manifests/\(name.tag)"
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Accept", value: Manifest.mediaType)
        let response: HTTPClientResponse
        do {
            response = try await httpClient.execute(request, timeout: .seconds(30))
        } catch {
            throw WorkerError(.badGateway, "pull model manifest: cannot reach registry \(url): \(error)")
        }
        let bytes = try await response.body.collect(upTo: 4 << 20)
        guard response.status == .ok else {
            if response.status == .notFound {
                throw WorkerError(.notFound, "pull model manifest: file does not exist")
            }
            throw WorkerError(.badGateway, "pull model manifest: registry answered \(response.status.code)")
        }
        let data = Data(buffer: bytes)
        guard let manifest = try? JSONDecoder().decode(Manifest.self, from: data) else {
            throw WorkerError(.badGateway, "pull model manifest: registry sent an unreadable manifest")
        }
        for digest in manifest.allDigests where Digest.hex(of: digest) == nil {
            throw WorkerError(.badGateway, "pull model manifest: invalid digest \(digest)")
        }
        return (data, manifest)
    }

    /// Appends a blob's bytes from `offset` to the file at `path` (HTTP Range for resume); more
    /// than `limit` bytes (the manifest's size) stop the download, so a registry cannot fill the disk.
    func fetchBlob(
        _ digest: String, of name: ModelName, insecure: Bool, into path: String, from offset: Int64, limit: Int64,
        progress: @escaping @Sendable (Int64) async -> Void
    ) async throws {
        let url = try baseURL(for: name, insecure: insecure) + "/v2/\(name.namespace)/\(name.model)/blobs/\(digest)"
        var request = HTTPClientRequest(url: url)
        if offset > 0 { request.headers.add(name: "Range", value: "bytes=\(offset)-") }
        let response = try await httpClient.execute(request, timeout: .hours(6))
        guard response.status == .ok || response.status == .partialContent else {
            throw WorkerError(.badGateway, "pull blob \(digest): registry answered \(response.status.code)")
        }
        guard let handle = FileHandle(forWritingAtPath: path) else {
            throw WorkerError(.internalServerError, "cannot write \(path)")
        }
        defer { try? handle.close() }
        var written = offset
        if response.status == .ok && offset > 0 {
            // The registry ignored the range: start over.
            try handle.truncate(atOffset: 0)
            written = 0
        } else {
            try handle.seekToEnd()
        }
        var lastReport = ContinuousClock.now
        for try await buffer in response.body {
            guard written + Int64(buffer.readableBytes) <= limit else {
                throw WorkerError(.badGateway, "pull blob \(digest): the registry sent more than the manifest's size")
            }
            try handle.write(contentsOf: Data(buffer: buffer))
            written += Int64(buffer.readableBytes)
            if ContinuousClock.now - lastReport > .milliseconds(100) {
                lastReport = .now
                await progress(written)
            }
        }
    }
}
