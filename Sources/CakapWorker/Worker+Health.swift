import Foundation
import Hummingbird

extension Worker {
    /// `GET /health/ready`: 200 when the engine is installed and the store readable (a balancer's
    /// target-group check); the body lists loaded models and free slots.
    func readiness() async throws -> Response {
        var problems: [String] = []
        if !FileManager.default.isExecutableFile(atPath: configuration.enginePath) {
            problems.append("llama-server not found at \(configuration.enginePath)")
        }
        if !store.isReadable { problems.append("model store \(store.root) is not readable") }
        let loaded = await scheduler.loaded()
        let body = ReadinessBody(
            status: problems.isEmpty ? "ready" : "not ready",
            error: problems.isEmpty ? nil : problems.joined(separator: "; "),
            loaded: loaded.map {
                .init(model: $0.displayName, activeRequests: $0.activeRequests, freeSlots: $0.freeSlots)
            },
            queueDepth: await scheduler.queueDepth, parallel: configuration.numParallel)
        return try jsonResponse(body, status: problems.isEmpty ? .ok : .serviceUnavailable)
    }

    /// `GET /metrics`: Prometheus text format.
    func metricsResponse() async -> Response {
        metrics.setQueueDepth(await scheduler.queueDepth)
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: metrics.render())))
    }
}

struct ReadinessBody: Encodable {
    struct Loaded: Encodable {
        var model: String
        var activeRequests: Int
        var freeSlots: Int
        enum CodingKeys: String, CodingKey {
            case model
            case activeRequests = "active_requests"
            case freeSlots = "free_slots"
        }
    }
    var status: String
    var error: String?
    var loaded: [Loaded]
    var queueDepth: Int
    var parallel: Int
    enum CodingKeys: String, CodingKey {
        case status, error, loaded, parallel
        case queueDepth = "queue_depth"
    }
}
