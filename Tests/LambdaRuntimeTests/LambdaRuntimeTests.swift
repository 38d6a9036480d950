import Conversations
import ConversationsService
import Foundation
import LambdaRuntime
import Logging
import Testing

/// The runtime loop over a scripted Runtime API, and the API Gateway adapter (R-FN-1).
@Suite struct LambdaRuntimeTests {
    actor ScriptedRuntime: RuntimeAPIClient {
        /// Each invocation is made when the loop asks for it, so its deadline counts from then, as
        /// Lambda's does (made in advance, a loaded machine once spent "fails"' 5 s before it ran).
        var pending: [@Sendable () -> Invocation]
        var responses: [String: [UInt8]] = [:]
        var errors: [String: FunctionError] = [:]

        init(_ invocations: [@Sendable () -> Invocation]) { pending = invocations }

        func nextInvocation() throws -> Invocation { pending.removeFirst()() }
        func respond(to requestId: String, with body: [UInt8]) { responses[requestId] = body }
        func reportError(for requestId: String, _ error: FunctionError) { errors[requestId] = error }
        func reportInitError(_ error: FunctionError) {}
    }

    static func invocation(_ id: String, inMilliseconds: Int64, event: String = "{}") -> Invocation {
        Invocation(
            requestId: id, deadlineMilliseconds: Int64(Date().timeIntervalSince1970 * 1000) + inMilliseconds,
            functionARN: "arn:aws:lambda:us-east-1:000000000000:function:lks-conversations", traceId: nil,
            event: Array(event.utf8))
    }

    @Test func answersFailuresAndDeadlines() async throws {
        let runtime = ScriptedRuntime([
            { Self.invocation("ok", inMilliseconds: 5000) },
            { Self.invocation("fails", inMilliseconds: 5000) },
            { Self.invocation("slow", inMilliseconds: 600) },
        ])
        try await LambdaLoop.run(client: runtime, logger: Logger(label: "test"), maxInvocations: 3) { invocation in
            switch invocation.requestId {
            case "fails": throw FunctionError("bad", type: "Test.Failure")
            case "slow":
                try await Task.sleep(for: .seconds(10))
                return []
            default: return Array("done".utf8)
            }
        }
        #expect(await runtime.responses["ok"] == Array("done".utf8))
        #expect(await runtime.errors["fails"]?.errorType == "Test.Failure")
        #expect(await runtime.errors["slow"]?.errorType == "Runtime.Timeout")
    }

    @Test func apiGatewayEventsReachTheCoreWithTheAuthorizersSub() async throws {
        let api = ConversationsAPI(
            store: MemoryConversationStore(), embedder: nil, settings: ConversationsSettings(),
            logger: Logger(label: "test"))
        func event(_ method: String, _ path: String, sub: String?, body: String? = nil) -> [UInt8] {
            var object: [String: Any] = [
                "httpMethod": method, "path": path, "resource": "/conversations/{uid}",
                "headers": ["Origin": "https://app.example"], "isBase64Encoded": false,
                "requestContext": ["requestId": "api-req-7", "authorizer": sub.map { ["claims": ["sub": $0]] } ?? [:]],
            ]
            if let body { object["body"] = body }
            return Array(try! JSONSerialization.data(withJSONObject: object))
        }
        let invocation = Self.invocation("i", inMilliseconds: 5000)
        func status(_ bytes: [UInt8]) -> (Int, [String: String]) {
            let object = try! JSONSerialization.jsonObject(with: Data(bytes)) as! [String: Any]
            return (object["statusCode"] as! Int, object["headers"] as! [String: String])
        }
        let body = #"{"id":"6f1c8e2a-3b4d-4e5f-8a9b-0c1d2e3f4a5b","title":"t","conversation":[]}"#
        let created = try await api.handle(
            event: event("POST", "/conversations/u-1", sub: "u-1", body: body), invocation: invocation,
            allowedOrigins: ["https://app.example"])
        #expect(status(created).0 == 201)
        #expect(status(created).1["access-control-allow-origin"] == "https://app.example")
        #expect(status(created).1["x-request-id"] == "api-req-7")
        let other = try await api.handle(
            event: event("GET", "/conversations/u-1", sub: "u-2"), invocation: invocation, allowedOrigins: [])
        #expect(status(other).0 == 403)
        let anonymous = try await api.handle(
            event: event("GET", "/conversations/u-1", sub: nil), invocation: invocation, allowedOrigins: [])
        #expect(status(anonymous).0 == 401)
        await #expect(throws: FunctionError.self) {
            try await api.handle(event: Array("[1]".utf8), invocation: invocation, allowedOrigins: [])
        }
    }
}
