import AsyncHTTPClient
import Foundation
import NIOCore

/// One event from Lambda's Runtime API, with the headers the runtime must honour.
public struct Invocation: Sendable {
    /// `Lambda-Runtime-Aws-Request-Id`.
    public var requestId: String
    /// `Lambda-Runtime-Deadline-Ms`: when Lambda stops the invocation, ms since 1970.
    public var deadlineMilliseconds: Int64
    /// `Lambda-Runtime-Invoked-Function-Arn`.
    public var functionARN: String
    /// `Lambda-Runtime-Trace-Id`, when X-Ray is on.
    public var traceId: String?
    /// The event, JSON.
    public var event: [UInt8]

    public init(requestId: String, deadlineMilliseconds: Int64, functionARN: String, traceId: String?, event: [UInt8]) {
        self.requestId = requestId
        self.deadlineMilliseconds = deadlineMilliseconds
        self.functionARN = functionARN
        self.traceId = traceId
        self.event = event
    }
}

/// What a handler failure is reported as: `{"errorMessage", "errorType"}`.
public struct FunctionError: Error, Sendable, Encodable {
    public let errorMessage: String
    public let errorType: String

    public init(_ errorMessage: String, type: String) {
        self.errorMessage = errorMessage
        self.errorType = type
    }
}

/// The Runtime API (2018-06-01) as a protocol, so the loop can be tested without Lambda.
public protocol RuntimeAPIClient: Sendable {
    /// Waits for the next event (long poll).
    func nextInvocation() async throws -> Invocation
    /// Sends a handler's result.
    func respond(to requestId: String, with body: [UInt8]) async throws
    /// Reports that the handler failed.
    func reportError(for requestId: String, _ error: FunctionError) async throws
    /// Reports that initialisation failed; Lambda then stops the environment.
    func reportInitError(_ error: FunctionError) async throws
}

/// The real Runtime API at `AWS_LAMBDA_RUNTIME_API` (host:port), over HTTP/1.1.
public struct HTTPRuntimeAPIClient: RuntimeAPIClient {
    let base: String
    let httpClient: HTTPClient

    /// - Parameter endpoint: `host:port`, as Lambda sets `AWS_LAMBDA_RUNTIME_API`.
    public init(endpoint: String, httpClient: HTTPClient) {
        base = "http://\(endpoint)/2018-06-01/runtime"
        self.httpClient = httpClient
    }

    /// A protocol the Runtime API broke; the loop cannot go on.
    public struct ProtocolError: Error, CustomStringConvertible {
        public let description: String
    }

    public func nextInvocation() async throws -> Invocation {
        let response = try await httpClient.execute(
            HTTPClientRequest(url: base + "/invocation/next"), timeout: .hours(24))
        let body = try await response.body.collect(upTo: 6 << 20 + 1024)  // Lambda's 6 MB payload limit
        guard response.status == .ok else {
            throw ProtocolError(description: "invocation/next answered HTTP \(response.status.code)")
        }
        guard let requestId = response.headers.first(name: "Lambda-Runtime-Aws-Request-Id"), !requestId.isEmpty else {
            throw ProtocolError(description: "invocation/next gave no Lambda-Runtime-Aws-Request-Id")
        }
        return Invocation(
            requestId: requestId,
            deadlineMilliseconds: response.headers.first(name: "Lambda-Runtime-Deadline-Ms").flatMap { Int64($0) }
                ?? Int64(Date().timeIntervalSince1970 * 1000) + 3000,
            functionARN: response.headers.first(name: "Lambda-Runtime-Invoked-Function-Arn") ?? "",
            traceId: response.headers.first(name: "Lambda-Runtime-Trace-Id"),
            event: Array(buffer: body))
    }

    public func respond(to requestId: String, with body: [UInt8]) async throws {
        try await post(base + "/invocation/\(requestId)/response", body: body, errorType: nil)
    }

    public func reportError(for requestId: String, _ error: FunctionError) async throws {
        try await post(
            base + "/invocation/\(requestId)/error", body: Array(try JSONEncoder().encode(error)),
            errorType: error.errorType)
    }

    public func reportInitError(_ error: FunctionError) async throws {
        try await post(base + "/init/error", body: Array(try JSONEncoder().encode(error)), errorType: error.errorType)
    }

    private func post(_ url: String, body: [UInt8], errorType: String?) async throws {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/json")
        if let errorType { request.headers.add(name: "Lambda-Runtime-Function-Error-Type", value: errorType) }
        request.body = .bytes(body)
        let response = try await httpClient.execute(request, timeout: .seconds(30))
        _ = try await response.body.collect(upTo: 1 << 16)
        guard (200..<300).contains(Int(response.status.code)) else {
            throw ProtocolError(description: "\(url) answered HTTP \(response.status.code)")
        }
    }
}
