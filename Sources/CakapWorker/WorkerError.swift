import Foundation
import Hummingbird
import OllamaAPI

/// An error the worker answers with: an HTTP status and Ollama's `{"error": "..."}` body.
/// Anything else thrown in a handler becomes a 500 with a generic message (details go to the log).
public struct WorkerError: Error, HTTPResponseError, CustomStringConvertible, Sendable, Equatable {
    public let status: HTTPResponse.Status
    /// The message sent to the client.
    public let message: String

    public init(_ status: HTTPResponse.Status, _ message: String) {
        self.status = status
        self.message = message
    }

    public var description: String { "\(status.code) \(message)" }

    /// 400 with a message.
    public static func badRequest(_ message: String) -> Self { .init(.badRequest, message) }
    /// Ollama's 404 for a model that is not in the store.
    public static func modelNotFound(_ name: String) -> Self { .init(.notFound, "model '\(name)' not found") }
    /// Ollama's 503 when the queue is full.
    public static let busy = WorkerError(
        .serviceUnavailable, "server busy, please try again.  maximum pending requests exceeded")
    /// 503 when a new engine is needed but `CAKAP_MAX_ENGINES` engines exist and all are busy.
    public static let enginesBusy = WorkerError(
        .serviceUnavailable, "server busy, please try again.  every engine of this worker is in use")
    /// 503 while draining for shutdown.
    public static let shuttingDown = WorkerError(.serviceUnavailable, "server is shutting down")

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        if status == .serviceUnavailable { headers[.retryAfter] = "1" }
        let body = (try? JSONEncoder().encode(ErrorResponse(error: message))) ?? Data("{\"error\":\"error\"}".utf8)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}

/// Why an engine could not serve. Each kind has one answer for the client (`workerError`).
public enum EngineError: Error, CustomStringConvertible, Sendable, Equatable {
    /// No executable `llama-server` at the configured path.
    case notInstalled(path: String)
    /// The engine exited or never became ready while starting.
    case failedToStart(String)
    /// Recent starts of this engine failed; the next attempt waits `retryIn` (retrying soon is pointless).
    case backingOff(reason: String, retryIn: Duration)
    /// The engine broke while serving: its answer, its stream or its process.
    case failed(String)
    /// The engine refused the request itself (llama-server's 400, e.g. a prompt over the context).
    case rejected(String)

    public var description: String {
        switch self {
        case .notInstalled(let path): "llama-server not found at \(path); run `cakap setup`"
        case .failedToStart(let reason): "llama-server failed to start: \(reason)"
        case .backingOff(let reason, let retryIn):
            "llama-server keeps failing (\(reason)); next attempt in \(retryIn.components.seconds + 1) s"
        case .failed(let reason), .rejected(let reason): reason
        }
    }

    /// What the worker answers: 503 while backing off, 400 for a refused request, else 500.
    public var workerError: WorkerError {
        switch self {
        case .backingOff: WorkerError(.serviceUnavailable, description)
        case .rejected: WorkerError(.badRequest, description)
        case .notInstalled, .failedToStart, .failed: WorkerError(.internalServerError, description)
        }
    }
}
