// swift-tools-version:6.1
// Cakap: an English-learning assistant on a two-region LLM fleet. See README.md.

import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny")
]

let package = Package(
    name: "cakap",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "cakap", targets: ["CakapCLI"]),
        // The AWS Lambda `bootstrap` (provided.al2023), built fully static by scripts/build-lambda.
        .executable(name: "cakap-lambda", targets: ["CakapLambda"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.8.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
    ],
    targets: [
        // Pure libraries: no networking.
        .target(
            name: "OllamaAPI",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "GGUF",
            swiftSettings: swiftSettings
        ),
        // The registry of every environment variable Cakap reads (STYLE.md §10).
        .target(
            name: "CakapSettings",
            swiftSettings: swiftSettings
        ),
        // One deadline race (no dependencies), for the services and for waiting on a child.
        .target(
            name: "Deadline",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ChildProcess",
            dependencies: ["CakapSettings", "Deadline"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ModelStore",
            dependencies: [
                "GGUF",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Provisioning",
            dependencies: [
                "ChildProcess",
                "CakapSettings",
                "ModelStore",
            ],
            swiftSettings: swiftSettings
        ),
        // The service shell's pure half: one request/response model and the admission gate, shared
        // by the conversations API and the tutor (its HTTP side is ServiceServer, its Lambda side
        // LambdaRuntime).
        .target(
            name: "ServiceShell",
            swiftSettings: swiftSettings
        ),
        // The conversations API (R-API-1) as a pure core: routes, validation, the store and
        // embedder seams with their fakes.
        .target(
            name: "Conversations",
            dependencies: ["OllamaAPI", "ServiceShell", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        // The tutor's logic: Harper's findings, edits and spans, GLEU (no networking).
        .target(
            name: "Tutoring",
            dependencies: ["ChildProcess", "ServiceShell", "Deadline"],
            swiftSettings: swiftSettings
        ),
        // Service libraries.
        // The one client of Ollama's API (typed with OllamaAPI's wire types, one failover policy).
        .target(
            name: "OllamaClient",
            dependencies: [
                "OllamaAPI",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "LambdaRuntime",
            dependencies: [
                "ServiceShell",
                "Deadline",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ConversationsService",
            dependencies: [
                "Conversations",
                "CakapSettings",
                "OllamaClient",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "TutorService",
            dependencies: [
                "Tutoring",
                "Conversations",
                "OllamaClient",
                "OllamaAPI",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // The service shell's HTTP side: token check, body limit, request id, admission gate.
        .target(
            name: "ServiceServer",
            dependencies: [
                "ServiceShell",
                "TokenVerification",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "CakapLambda",
            dependencies: [
                "ConversationsService",
                "CakapSettings",
                "TutorService",
                "Tutoring",
                "LambdaRuntime",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "CakapMetrics",
            dependencies: [.product(name: "Prometheus", package: "swift-prometheus")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "CakapWorker",
            dependencies: [
                "OllamaAPI",
                "CakapSettings",
                "ModelStore",
                "GGUF",
                "ChildProcess",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                "CakapMetrics",
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Deployment",
            dependencies: ["CakapSettings", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Topology",
            swiftSettings: swiftSettings
        ),
        // Forwarding HTTP to an upstream and health-checking targets: shared by the balancer and the edge.
        .target(
            name: "HTTPProxy",
            dependencies: [
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "CakapBalancer",
            dependencies: [
                "Topology",
                "HTTPProxy",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                "CakapMetrics",
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // The Cognito-style token verifier every service checks a request with (no password hashing).
        .target(
            name: "TokenVerification",
            dependencies: [
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // The development identity provider (Cognito JSON protocol), for `cakap edge` and `cakap users`.
        .target(
            name: "Identity",
            dependencies: [
                "TokenVerification",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "CakapEdge",
            dependencies: [
                "Topology",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                "Identity",
                "TokenVerification",
                "ServiceServer",
                "HTTPProxy",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // The one executable.
        .executableTarget(
            name: "CakapCLI",
            dependencies: [
                "CakapSettings",
                "Tutoring",
                "TutorService",
                "Conversations",
                "ConversationsService",
                "ServiceShell",
                "ServiceServer",
                "OllamaClient",
                "CakapWorker",
                "CakapBalancer",
                "HTTPProxy",
                "CakapEdge",
                "Identity",
                "TokenVerification",
                "Topology",
                "Deployment",
                "Provisioning",
                "ModelStore",
                "ChildProcess",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // Unit tests: fast, with fakes behind the protocol seams.
        .target(
            name: "TestSupport",
            path: "Tests/TestSupport",
            swiftSettings: swiftSettings
        ),
        // A real token issuer for the tests of what verifies tokens (the development IdP's keys).
        .target(
            name: "IssuerSupport",
            dependencies: [
                "Identity",
                "TokenVerification",
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/IssuerSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "OllamaAPITests",
            dependencies: ["OllamaAPI"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ModelStoreTests",
            dependencies: ["ModelStore", "GGUF", "TestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ChildProcessTests",
            dependencies: ["ChildProcess"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "GGUFTests",
            dependencies: ["GGUF", "TestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "LambdaRuntimeTests",
            dependencies: [
                "LambdaRuntime", "Conversations", "ConversationsService",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "IdentityTests",
            dependencies: [
                "Identity",
                "TokenVerification",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TokenVerificationTests",
            dependencies: [
                "TokenVerification",
                "IssuerSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "JWTKit", package: "jwt-kit"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ServiceServerTests",
            dependencies: [
                "ServiceServer",
                "ServiceShell",
                "TokenVerification",
                "IssuerSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ConversationsTests",
            dependencies: [
                "Conversations",
                "ServiceShell",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ConversationsServiceTests",
            dependencies: ["ConversationsService", "Conversations"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "OllamaClientTests",
            dependencies: [
                "OllamaClient",
                "OllamaAPI",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "DeadlineTests",
            dependencies: ["Deadline"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TutoringTests",
            dependencies: ["Tutoring", "ServiceShell"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ServiceShellTests",
            dependencies: ["ServiceShell"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "DeploymentTests",
            dependencies: ["Deployment"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "BalancerTests",
            dependencies: ["CakapBalancer"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "HTTPProxyTests",
            dependencies: [
                "HTTPProxy",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "EdgeTests",
            dependencies: ["CakapEdge"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TopologyTests",
            dependencies: ["Topology"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CakapWorkerTests",
            dependencies: [
                "CakapWorker",
                "TestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
