import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import Synchronization

/// Which base URL the next call starts with.
private let next = Atomic<Int>(0)

/// One non-streamed Ollama call whose answer is JSON, trying each base URL in turn.
enum OllamaJSON {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// The answer object, or (with `field`) the JSON object inside the string at that path of it
    /// (`response` of /api/generate, `message.content` of /api/chat).
    static func call(
        path: String, body: [String: Any], field: [String]?, baseURLs: [String], httpClient: HTTPClient,
        timeout: TimeAmount
    ) async throws -> [String: Any] {
        var failures: [String] = []
        // Calls start at the next base URL in turn (the regions' balancers share the tutor's load,
        // each the other's fallback).
        let start = baseURLs.isEmpty ? 0 : next.wrappingAdd(1, ordering: .relaxed).oldValue % baseURLs.count
        for base in baseURLs[start...] + baseURLs[..<start] {
            do {
                var request = HTTPClientRequest(url: base + path)
                request.method = .POST
                request.headers.add(name: "content-type", value: "application/json")
                request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: body)))
                let response = try await httpClient.execute(request, timeout: timeout)
                let data = try await response.body.collect(upTo: 1 << 24)
                guard response.status == .ok else {
                    failures.append("\(base): HTTP \(response.status.code)")
                    continue
                }
                guard let envelope = try JSONSerialization.jsonObject(with: Data(buffer: data)) as? [String: Any] else {
                    throw Failure(description: "\(base): the answer is not a JSON object")
                }
                guard let field else { return envelope }
                var value: Any? = envelope
                for key in field { value = (value as? [String: Any])?[key] }
                guard let text = value as? String,
                    let inner = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
                else { throw Failure(description: "\(base): the answer is not the JSON asked for") }
                return inner
            } catch let error as Failure {
                throw error
            } catch {
                failures.append("\(base): \(error)")
            }
        }
        throw Failure(description: failures.isEmpty ? "no model URL configured" : failures.joined(separator: "; "))
    }
}
