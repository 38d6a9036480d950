import AsyncHTTPClient
import Foundation
import HTTPProxy
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// The forwarder's connection pool (issue 8: under concurrent streams the balancer failed the
/// ninth request to one worker with `getConnectionFromPoolTimeout`, and its health checks too).
@Suite struct HTTPForwarderPoolTests {
    /// An upstream that answers every request after `hold`, as a generation holds its connection.
    func slowUpstream(hold: Duration) -> Application<RouterResponder<BasicRequestContext>> {
        let router = Router()
        router.get("/slow") { _, _ in
            try await Task.sleep(for: hold)
            return "done"
        }
        return Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
    }

    /// Sends `count` requests at once through a forwarder; returns how many were answered 200.
    func forwardAtOnce(count: Int, port: Int, configuration: HTTPClient.Configuration) async throws -> Int {
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let forwarder = HTTPForwarder(httpClient: client)
        let answered = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<count {
                group.addTask {
                    guard
                        let response = try? await forwarder.forward(
                            method: .get, path: "/slow", headers: [:], body: ByteBuffer(),
                            to: "http://127.0.0.1:\(port)", clientAddress: nil)
                    else { return false }
                    _ = try? await response.body.collect(upTo: 1024)
                    return response.status == .ok
                }
            }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        try await client.shutdown()
        return answered
    }

    @Test func moreConcurrentRequestsThanAsyncHTTPClientsDefaultPoolAllSucceed() async throws {
        try await slowUpstream(hold: .milliseconds(800)).test(.live) { client in
            let port = try #require(client.port)
            let configuration = HTTPForwarder.clientConfiguration(connectTimeout: .milliseconds(400))
            #expect(try await forwardAtOnce(count: 16, port: port, configuration: configuration) == 16)
        }
    }

    @Test func withAsyncHTTPClientsDefaultOfEightTheNinthTimesOutWaitingForAConnection() async throws {
        try await slowUpstream(hold: .milliseconds(800)).test(.live) { client in
            let port = try #require(client.port)
            let configuration = HTTPForwarder.clientConfiguration(
                connectionsPerUpstream: 8, connectTimeout: .milliseconds(400))
            #expect(try await forwardAtOnce(count: 16, port: port, configuration: configuration) == 8)
        }
    }

    /// A request that finds every connection busy is "busy" (the balancer answers 503 and keeps the
    /// target); one that finds nothing listening is not (the balancer ejects that target).
    @Test func aFullPoolIsBusyAndAClosedPortIsNot() async throws {
        try await slowUpstream(hold: .milliseconds(800)).test(.live) { client in
            let port = try #require(client.port)
            let httpClient = HTTPClient(
                eventLoopGroupProvider: .singleton,
                configuration: HTTPForwarder.clientConfiguration(
                    connectionsPerUpstream: 1, connectTimeout: .milliseconds(200)))
            let forwarder = HTTPForwarder(httpClient: httpClient)
            func attempt(_ url: String) async -> (any Error)? {
                do {
                    let response = try await forwarder.forward(
                        method: .get, path: "/slow", headers: [:], body: ByteBuffer(), to: url, clientAddress: nil)
                    _ = try await response.body.collect(upTo: 1024)
                    return nil
                } catch {
                    return error
                }
            }
            async let first = attempt("http://127.0.0.1:\(port)")
            try await Task.sleep(for: .milliseconds(100))
            let second = await attempt("http://127.0.0.1:\(port)")
            #expect(await first == nil)
            #expect(second.map(HTTPForwarder.isBusy) == true)
            let closed = await attempt("http://127.0.0.1:1")
            #expect(closed != nil && !HTTPForwarder.isBusy(closed!))
            try await httpClient.shutdown()
        }
    }
}
