import Foundation
import Hummingbird
import OllamaAPI

/// Encodes a value as a JSON response.
func jsonResponse(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
    var headers = HTTPFields()
    headers[.contentType] = "application/json; charset=utf-8"
    return Response(
        status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: try JSONEncoder().encode(value))))
}

/// One NDJSON line.
func ndjsonLine(_ value: some Encodable) -> ByteBuffer {
    var bytes = (try? JSONEncoder().encode(value)) ?? Data("{\"error\":\"encoding failed\"}".utf8)
    bytes.append(0x0A)
    return ByteBuffer(bytes: bytes)
}

/// A streamed NDJSON response; `produce` writes lines through the writer it is given.
func ndjsonResponse(_ produce: @escaping @Sendable (inout any ResponseBodyWriter) async throws -> Void) -> Response {
    var headers = HTTPFields()
    headers[.contentType] = "application/x-ndjson"
    return Response(
        status: .ok, headers: headers,
        body: ResponseBody { writer in
            try await produce(&writer)
            try await writer.finish(nil)
        })
}

extension Worker {
    /// Reads and decodes a JSON body, turning every failure into a 400 (or 413) that says what is wrong.
    func decodeBody<T: Decodable>(_ type: T.Type, from request: Request) async throws -> T {
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: configuration.maxBodyBytes)
        } catch {
            throw WorkerError(.contentTooLarge, "request body is larger than \(configuration.maxBodyBytes) bytes")
        }
        guard buffer.readableBytes > 0 else { throw WorkerError.badRequest("missing request body") }
        do {
            return try JSONDecoder().decode(T.self, from: Data(buffer: buffer))
        } catch let DecodingError.keyNotFound(key, _) {
            throw WorkerError.badRequest("\(key.stringValue) is required")
        } catch let DecodingError.typeMismatch(_, context) {
            throw WorkerError.badRequest("invalid value for \(Self.path(context)): \(context.debugDescription)")
        } catch let DecodingError.valueNotFound(_, context) {
            throw WorkerError.badRequest("missing value for \(Self.path(context))")
        } catch let DecodingError.dataCorrupted(context) where !context.codingPath.isEmpty {
            throw WorkerError.badRequest("invalid value for \(Self.path(context)): \(context.debugDescription)")
        } catch {
            throw WorkerError.badRequest("invalid JSON in request body")
        }
    }

    static func path(_ context: DecodingError.Context) -> String {
        context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
    }
}
