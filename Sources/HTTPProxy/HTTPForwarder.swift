import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import NIOHTTP1

/// Forwards one request to an upstream and hands back the upstream's head and streaming body.
/// Shared by the balancer (to workers) and the edge (to balancers).
public struct HTTPForwarder: Sendable {
    /// Header a balancer sets on 503s caused by an empty pool, so the edge can fail over to the other region.
    public static let noHealthyTargetHeader = "x-cakap-no-healthy-target"

    let httpClient: HTTPClient

    public init(httpClient: HTTPClient) {
        self.httpClient = httpClient
    }

    /// Headers that describe one hop's connection, never forwarded (RFC 9110 §7.6.1), plus `Host`,
    /// which the client sets for the next hop.
    static let hopByHop: Set<String> = [
        "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection", "te",
        "trailer", "transfer-encoding", "upgrade", "host", "content-length",
    ]

    /// What came back before any byte of the body.
    public struct UpstreamResponse: Sendable {
        public var status: HTTPResponse.Status
        public var headers: HTTPFields
        public var body: HTTPClientResponse.Body
        /// The upstream's `Content-Length`, when it sent one (not forwarded as a header: the
        /// response we build sets its own).
        public var contentLength: Int?
    }

    /// Sends `method path` with `body` to `baseURL`.
    /// - Parameters:
    ///   - clientAddress: appended to `X-Forwarded-For`.
    ///   - extraHeaders: set on the upstream request (replacing same-named ones).
    ///   - isFirstHop: true where clients connect directly (the edge): their `X-Forwarded-For` is
    ///     dropped, not extended, so a client cannot choose the address the next hops log (issue 19).
    ///   - droppedHeaders: lowercased names not sent upstream (the edge keeps `Authorization` from workers).
    ///   - timeout: for the whole exchange, body included (long for streamed generations).
    /// - Throws: the client's error when the upstream cannot be reached or closes before its head.
    public func forward(
        method: HTTPRequest.Method, path: String, headers: HTTPFields, body: ByteBuffer, to baseURL: String,
        clientAddress: String?, extraHeaders: [(String, String)] = [], isFirstHop: Bool = false,
        droppedHeaders: Set<String> = [], timeout: TimeAmount = .hours(1)
    ) async throws -> UpstreamResponse {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = HTTPMethod(rawValue: method.rawValue)
        var forwardedFor: String?
        let connectionTokens = Self.connectionTokens(headers)
        for field in headers {
            let name = field.name.canonicalName
            if Self.hopByHop.contains(name) || connectionTokens.contains(name) || droppedHeaders.contains(name) {
                continue
            }
            if name == "x-forwarded-for" {
                if !isFirstHop { forwardedFor = field.value }
                continue
            }
            if name == "x-forwarded-proto" { continue }
            request.headers.add(name: field.name.rawName, value: field.value)
        }
        if let clientAddress {
            request.headers.add(
                name: "X-Forwarded-For", value: forwardedFor.map { "\($0), \(clientAddress)" } ?? clientAddress)
        } else if let forwardedFor {
            request.headers.add(name: "X-Forwarded-For", value: forwardedFor)
        }
        request.headers.add(name: "X-Forwarded-Proto", value: "http")
        for (name, value) in extraHeaders { request.headers.replaceOrAdd(name: name, value: value) }
        if body.readableBytes > 0 || method == .post || method == .put {
            request.body = .bytes(body)
        }
        let response = try await httpClient.execute(request, timeout: timeout)
        var responseHeaders = HTTPFields()
        let dropped = Self.hopByHop.union(Self.connectionTokens(response.headers))
        for header in response.headers where !dropped.contains(header.name.lowercased()) {
            if let name = HTTPField.Name(header.name) {
                responseHeaders.append(HTTPField(name: name, value: header.value))
            }
        }
        return UpstreamResponse(
            status: HTTPResponse.Status(code: Int(response.status.code), reasonPhrase: response.status.reasonPhrase),
            headers: responseHeaders, body: response.body,
            contentLength: response.headers.first(name: "content-length").flatMap { Int($0) })
    }

    /// Header names listed in a `Connection` header are hop-by-hop too.
    static func connectionTokens(_ headers: HTTPFields) -> Set<String> {
        Set(
            headers[values: .connection].flatMap { $0.split(separator: ",") }.map {
                $0.trimmingCharacters(in: .whitespaces).lowercased()
            })
    }

    static func connectionTokens(_ headers: HTTPHeaders) -> Set<String> {
        Set(
            headers["connection"].flatMap { $0.split(separator: ",") }.map {
                $0.trimmingCharacters(in: .whitespaces).lowercased()
            })
    }
}

extension HTTPForwarder {
    /// Connections the forwarding client keeps to one upstream at once, by default. AsyncHTTPClient's
    /// own default is 8, and a request that finds all of them busy waits for one only as long as
    /// the connect timeout, then fails with `getConnectionFromPoolTimeout`. Streamed generations hold
    /// a connection for tens of seconds, so the ninth chat to one worker failed after 2 s, and the
    /// health checks, which share the client, failed too and the busy target flapped (found by
    /// `cakap bench`, docs/benchmarks.md). Above `BalancerConfiguration.maxInFlightPerTarget` (32),
    /// with room for health checks and retries.
    public static let defaultConnectionsPerUpstream = 64

    /// Whether `error` means every connection to the upstream was busy for the whole connect
    /// timeout: load on a healthy upstream, answered 503 to retry, never a sign that the upstream
    /// is gone (ejecting it for this turned load into an outage, issue 9's load runs).
    public static func isBusy(_ error: any Error) -> Bool {
        (error as? HTTPClientError) == .getConnectionFromPoolTimeout
    }

    /// The HTTP client configuration of a forwarding service (the balancer, the edge).
    /// - Parameters:
    ///   - connectionsPerUpstream: connections kept to one upstream at once (default 64, above).
    ///   - connectTimeout: for a new connection, and the longest wait for a free one (default 2 s).
    public static func clientConfiguration(
        connectionsPerUpstream: Int = defaultConnectionsPerUpstream, connectTimeout: TimeAmount = .seconds(2)
    ) -> HTTPClient.Configuration {
        var configuration = HTTPClient.Configuration(timeout: .init(connect: connectTimeout))
        configuration.connectionPool = .init(
            idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: connectionsPerUpstream)
        return configuration
    }
}

extension HTTPForwarder.UpstreamResponse {
    /// Bodies up to this size that announce their length are read whole before the answer.
    public static let bufferedBodyLimit = 64 << 10

    /// The client's response: a small body of known length (most API answers: `/api/tags`,
    /// `/api/version`, JSON errors, non-streamed generations) is read whole first and sent with
    /// its `Content-Length` in one write; anything else streams (`streamingResponse`). Reading
    /// first spares the streaming writer's task hops and chunked encoding per request, the
    /// balancer's largest cost under `wrk` (docs/benchmarks.md, "Profiles").
    /// - Throws: the upstream's error when the small body fails before its end (no byte has
    ///   reached the client yet, so the caller answers with an error of its own).
    public func response(
        extraHeaders: HTTPFields = [:], onFinish: @escaping @Sendable (_ completed: Bool) async -> Void
    ) async throws -> Response {
        guard let length = contentLength, length <= Self.bufferedBodyLimit else {
            return streamingResponse(extraHeaders: extraHeaders, onFinish: onFinish)
        }
        let whole: ByteBuffer
        do {
            whole = try await body.collect(upTo: Self.bufferedBodyLimit)
        } catch {
            await onFinish(false)
            throw error
        }
        await onFinish(true)
        var headers = self.headers
        headers.append(contentsOf: extraHeaders)
        return Response(status: status, headers: headers, body: .init(byteBuffer: whole))
    }

    /// Streams the upstream body to the client as it arrives (each write waits for the client:
    /// backpressure end to end); `onFinish` runs when the body ends, fails or the client leaves.
    /// Leaving drops the upstream body, which cancels the upstream request.
    ///
    /// When the upstream dies after the head (a worker killed mid-stream), an NDJSON stream ends
    /// with one `{"error": ...}` line and a proper end, as the worker's own streams do (STYLE.md
    /// §5), instead of a cut connection the client cannot tell from a network fault.
    public func streamingResponse(
        extraHeaders: HTTPFields = [:], onFinish: @escaping @Sendable (_ completed: Bool) async -> Void
    ) -> Response {
        var headers = self.headers
        headers.append(contentsOf: extraHeaders)
        let body = self.body
        let isNDJSON = headers[.contentType]?.hasPrefix("application/x-ndjson") == true
        return Response(
            status: status, headers: headers,
            body: ResponseBody { writer in
                var iterator = body.makeAsyncIterator()
                var lineOpen = false
                while true {
                    let next: ByteBuffer?
                    do {
                        next = try await iterator.next()
                    } catch {
                        await onFinish(false)
                        guard isNDJSON else { throw error }
                        try await writer.write(Self.finalErrorLine(afterOpenLine: lineOpen))
                        try await writer.finish(nil)
                        return
                    }
                    guard let buffer = next else { break }
                    do {
                        if buffer.readableBytes > 0 {
                            let last = buffer.getInteger(at: buffer.writerIndex - 1, as: UInt8.self)
                            lineOpen = last != UInt8(ascii: "\n")
                        }
                        try await writer.write(buffer)
                    } catch {
                        await onFinish(false)
                        throw error
                    }
                }
                try await writer.finish(nil)
                await onFinish(true)
            })
    }

    /// The last line of an NDJSON stream whose upstream failed (a newline first if a line was cut).
    static func finalErrorLine(afterOpenLine lineOpen: Bool) -> ByteBuffer {
        let line = #"{"error":"the upstream server closed the stream before it ended"}"#
        return ByteBuffer(string: (lineOpen ? "\n" : "") + line + "\n")
    }
}

/// The client address of a request, for `X-Forwarded-For`.
public struct ProxyRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}
