import AsyncHTTPClient
import Foundation
import HTTPProxy
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// The forwarder's answer to the client (issue 8): a small body of known length is read whole and
/// sent with its length; an NDJSON stream, or a body of unknown length, still streams.
@Suite struct HTTPForwarderResponseTests {
    func upstream() -> Application<RouterResponder<BasicRequestContext>> {
        let router = Router()
        router.get("/small") { _, _ in #"{"version":"0.6.0"}"# }
        router.get("/stream") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "application/x-ndjson"
            return Response(
                status: .ok, headers: headers,
                body: ResponseBody { writer in
                    for index in 0..<3 {
                        try await writer.write(ByteBuffer(string: #"{"n":\#(index)}"# + "\n"))
                        try await Task.sleep(for: .milliseconds(20))
                    }
                    try await writer.finish(nil)
                })
        }
        return Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
    }

    /// Forwards `path` and answers with `response`, as the balancer does, from a test server.
    func proxy(to port: Int, client: HTTPClient) -> Application<RouterResponder<BasicRequestContext>> {
        let forwarder = HTTPForwarder(httpClient: client)
        let router = Router()
        router.get("/**") { request, _ in
            let upstream = try await forwarder.forward(
                method: .get, path: request.uri.path, headers: request.headers, body: ByteBuffer(),
                to: "http://127.0.0.1:\(port)", clientAddress: nil)
            return try await upstream.response { _ in }
        }
        return Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
    }

    @Test func smallBodiesGoWholeWithTheirLengthAndStreamsStillStream() async throws {
        let httpClient = HTTPClient(eventLoopGroupProvider: .singleton)
        try await upstream().test(.live) { upstreamClient in
            let port = try #require(upstreamClient.port)
            try await proxy(to: port, client: httpClient).test(.live) { client in
                try await client.execute(uri: "/small", method: .get) { response in
                    #expect(response.status == .ok)
                    #expect(response.headers[.contentLength] == "19")
                    #expect(response.headers[.transferEncoding] == nil)
                    #expect(String(buffer: response.body) == #"{"version":"0.6.0"}"#)
                }
                try await client.execute(uri: "/stream", method: .get) { response in
                    #expect(response.status == .ok)
                    #expect(response.headers[.contentLength] == nil)
                    #expect(String(buffer: response.body) == "{\"n\":0}\n{\"n\":1}\n{\"n\":2}\n")
                }
            }
        }
        try await httpClient.shutdown()
    }
}
