import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import IssuerSupport
import Logging
import ServiceServer
import ServiceShell
import Synchronization
import Testing
import TokenVerification

/// The HTTP side of the service shell, shared by `cakap conversations` and `cakap tutor`: the
/// token check with a safe message (R-AUTH-6, issue 19), the body limit, the request id, the
/// admission gate (503 with `Retry-After`), `/healthz` without a token, and the caller and body
/// passed to the API as they arrived.
@Suite struct APIServerTests {
    /// An API that records what it was given and answers with the caller and body, or waits.
    final class EchoAPI: RoutedAPI, Sendable {
        let seen = Mutex<[APIRequest]>([])
        let hold: Duration

        init(hold: Duration = .zero) { self.hold = hold }

        func handle(_ request: APIRequest) async -> APIResponse {
            seen.withLock { $0.append(request) }
            if hold > .zero { try? await Task.sleep(for: hold) }
            return .json(["caller": request.caller ?? "", "body": String(decoding: request.body, as: UTF8.self)])
        }
    }

    /// Runs `body` against the shell over `api` (body limit 64 bytes), with a real issuer and a
    /// valid token of it.
    func withServer(
        _ api: EchoAPI, gate: AdmissionGate? = nil,
        _ body: @escaping @Sendable (any TestClientProtocol, TestIssuer, String) async throws -> Void
    ) async throws {
        let issuer = try await TestIssuer()
        defer { issuer.fixture.removeDirectory() }
        let token = try await issuer.token(issuer.claims())
        let server = APIServer(
            api: api, prefix: "/tutor", verifier: issuer.verifier, maxBodyBytes: 64, gate: gate,
            logger: Logger(label: "test.server", factory: { _ in SwiftLogNoOpLogHandler() }))
        try await Application(router: server.makeRouter()).test(.router) { client in
            try await body(client, issuer, token)
        }
    }

    func headers(token: String?, requestId: String? = nil) -> HTTPFields {
        var fields = HTTPFields()
        if let token { fields[.authorization] = "Bearer \(token)" }
        if let requestId { fields[HTTPField.Name("x-request-id")!] = requestId }
        return fields
    }

    @Test func aSignedInCallerReachesTheAPIWithItsSubjectAndBody() async throws {
        let api = EchoAPI()
        try await withServer(api) { client, _, token in
            try await client.execute(
                uri: "/tutor/feedback", method: .post, headers: headers(token: token, requestId: "trace-1"),
                body: ByteBuffer(string: #"{"text":"I has two cat"}"#)
            ) { response in
                #expect(response.status == .ok)
                #expect(response.headers[HTTPField.Name("x-request-id")!] == "trace-1")
                let answer = try JSONDecoder().decode([String: String].self, from: Data(buffer: response.body))
                #expect(answer["caller"] == "2f1c3a6e-0000-4000-8000-000000000001")
                #expect(answer["body"] == #"{"text":"I has two cat"}"#)
            }
        }
        let seen = try #require(api.seen.withLock { $0.first })
        #expect(seen.method == "POST")
        #expect(seen.path == "/tutor/feedback")
        #expect(seen.requestId == "trace-1")
    }

    @Test func everyRefusedTokenGetsTheSameSafeMessageAndTheAPIIsNotCalled() async throws {
        let api = EchoAPI()
        try await withServer(api) { client, issuer, _ in
            let expired = try await issuer.token(
                issuer.claims(["exp": .number(issuer.now.timeIntervalSince1970 - 5)]))
            let wrongAudience = try await issuer.token(issuer.claims(["aud": .string("another-client")]))
            let foreignKey = try await issuer.token(issuer.claims(), keys: issuer.otherSigning)
            for token in [nil, "garbage", expired, wrongAudience, foreignKey] {
                try await client.execute(uri: "/tutor/score", method: .post, headers: headers(token: token)) {
                    response in
                    #expect(response.status == .unauthorized)
                    #expect(String(buffer: response.body) == #"{"error":"sign in again"}"#)
                    #expect(response.headers[HTTPField.Name("x-request-id")!]?.isEmpty == false)
                }
            }
        }
        #expect(api.seen.withLock { $0.isEmpty })
    }

    @Test func aBodyOverTheLimitIs413AndNeverReachesTheAPI() async throws {
        let api = EchoAPI()
        try await withServer(api) { client, _, token in
            try await client.execute(
                uri: "/tutor/feedback", method: .post, headers: headers(token: token),
                body: ByteBuffer(string: String(repeating: "a", count: 65))
            ) { response in
                #expect(response.status == .contentTooLarge)
                #expect(String(buffer: response.body) == #"{"error":"the body is larger than 64 bytes"}"#)
            }
        }
        #expect(api.seen.withLock { $0.isEmpty })
    }

    @Test func aFullGateAnswers503WithRetryAfter() async throws {
        let gate = AdmissionGate(maxRunning: 1, maxWaiting: 0, maxWait: .milliseconds(10))
        try await withServer(EchoAPI(hold: .milliseconds(500)), gate: gate) { client, _, token in
            let statuses = try await withThrowingTaskGroup(of: (Int, String?).self) { group in
                for _ in 0..<2 {
                    group.addTask {
                        try await client.execute(uri: "/tutor/score", method: .post, headers: headers(token: token)) {
                            (Int($0.status.code), $0.headers[.retryAfter])
                        }
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.map(\.0).sorted() == [200, 503])
            #expect(statuses.first { $0.0 == 503 }?.1 == "2")
        }
    }

    @Test func healthzAnswersWithoutAToken() async throws {
        try await withServer(EchoAPI()) { client, _, _ in
            try await client.execute(uri: "/healthz", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body) == "ok")
            }
        }
    }
}
