import CakapWorker
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// CORS on the worker (issue 20, blocker 3): API Gateway's HTTP proxy to `/{region}/{proxy+}`
/// passes the worker's headers through and adds none, so without these the web app on another
/// origin (Amplify) can neither list models nor chat (R-APP-6, R-API-2).
@Suite struct WorkerCORSTests {
    static let app = "https://main.d1abc.amplifyapp.com"

    func fixture(origins: [String]) throws -> WorkerFixture {
        var fixture = try WorkerFixture()
        fixture.configuration.corsOrigins = origins
        return fixture
    }

    @Test func allowedOriginReadsTagsAndErrors() async throws {
        try await fixture(origins: [Self.app]).test { client in
            try await client.execute(uri: "/api/tags", method: .get, headers: [.origin: Self.app]) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.accessControlAllowOrigin] == Self.app)
                #expect(response.headers[.vary] == "Origin")
            }
            // A browser can show "model not found" only if the error carries the header too.
            try await client.execute(
                uri: "/api/chat", method: .post, headers: [.origin: Self.app],
                body: .json(#"{"model":"nope","messages":[]}"#)
            ) { response in
                #expect(response.status == .notFound)
                #expect(response.headers[.accessControlAllowOrigin] == Self.app)
                #expect(jsonObject(response.body)["error"] as? String == "model 'nope' not found")
            }
        }
    }

    @Test func wildcardEchoesTheCallersOrigin() async throws {
        try await fixture(origins: ["*"]).test { client in
            try await client.execute(uri: "/api/version", method: .get, headers: [.origin: "http://x.example"]) {
                #expect($0.headers[.accessControlAllowOrigin] == "http://x.example")
            }
            try await client.execute(uri: "/api/chat", method: .options, headers: [.origin: "http://x.example"]) {
                #expect($0.status == .noContent)
                #expect($0.headers[.accessControlAllowHeaders]?.contains("Authorization") == true)
            }
        }
    }

    @Test func otherOriginsAndUnconfiguredWorkersGetNoHeader() async throws {
        try await fixture(origins: [Self.app]).test { client in
            try await client.execute(uri: "/api/tags", method: .get, headers: [.origin: "https://evil.example"]) {
                #expect($0.status == .ok)
                #expect($0.headers[.accessControlAllowOrigin] == nil)
            }
        }
        try await fixture(origins: []).test { client in
            try await client.execute(uri: "/api/tags", method: .get, headers: [.origin: Self.app]) {
                #expect($0.headers[.accessControlAllowOrigin] == nil)
            }
        }
    }

    @Test func originsComeFromTheEnvironmentTheTemplateSets() throws {
        let configuration = try WorkerConfiguration.fromEnvironment(
            ["CAKAP_CORS_ORIGINS": "\(Self.app), http://localhost:8080"], modelsRoot: "/m", enginePath: "/e")
        #expect(configuration.corsOrigins == [Self.app, "http://localhost:8080"])
    }
}
