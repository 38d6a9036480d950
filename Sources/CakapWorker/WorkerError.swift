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
