import Foundation
import Hummingbird
import HummingbirdTesting
import Identity
import Logging
import Synchronization

/// A provider over a temporary data directory, with a clock the test moves and a log that keeps
/// the development codes (read from the log, as a developer would).
struct IdentityFixture {
    let directory: String
    /// Deletes the folder when the last copy of this fixture is gone.
    private let remover: DirectoryRemover
    let clock = TestClock()
    let log = CapturedLog()
    var settings = IdentityPoolSettings.development(publicBaseURL: "http://127.0.0.1:8080/idp")

    init() {
        directory = NSTemporaryDirectory() + "cakap-identity-test-\(UUID().uuidString)"
        remover = DirectoryRemover(path: directory)
    }

    func makeProvider() throws -> DevelopmentIdentityProvider {
        let log = self.log
        let clock = self.clock
        return try DevelopmentIdentityProvider(
            settings: settings, dataDirectory: directory,
            logger: Logger(label: "test.identity", factory: { _ in CapturingLogHandler(log: log) }), now: { clock.now })
    }

    /// The provider's routes under `/idp`, as the edge mounts them, through `app.test(.router)`.
    func test<Value: Sendable>(
        provider: DevelopmentIdentityProvider? = nil, _ body: @escaping @Sendable (CognitoClient) async throws -> Value
    ) async throws -> Value {
        let provider = try provider ?? makeProvider()
        let router = Router()
        provider.addRoutes(to: router.group("idp"))
        return try await Application(router: router).test(.router) { client in
            try await body(CognitoClient(client: client, clientId: settings.clientId))
        }
    }

    func removeDirectory() { try? FileManager.default.removeItem(atPath: directory) }
}

/// Calls the Cognito JSON protocol as the AWS SDKs do.
struct CognitoClient: Sendable {
    let client: any TestClientProtocol
    let clientId: String

    struct Reply: @unchecked Sendable {
        var status: HTTPResponse.Status
        var headers: HTTPFields
        var body: [String: Any]
        /// `__type` of an error.
        var errorType: String? { body["__type"] as? String }
        var message: String? { body["message"] as? String }
        var authenticationResult: [String: Any] { body["AuthenticationResult"] as? [String: Any] ?? [:] }
    }

    @discardableResult
    func call(_ action: String, _ parameters: [String: Any]) async throws -> Reply {
        var headers = HTTPFields()
        headers[.contentType] = "application/x-amz-json-1.1"
        headers[HTTPFields.Element.Name("X-Amz-Target")!] = "AWSCognitoIdentityProviderService.\(action)"
        let body = try JSONSerialization.data(withJSONObject: parameters)
        return try await client.execute(uri: "/idp/", method: .post, headers: headers, body: ByteBuffer(bytes: body)) {
            response in
            Reply(
                status: response.status, headers: response.headers,
                body: (try? JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]) ?? [:])
        }
    }

    @discardableResult
    func signUp(
        _ email: String, password: String = "Correct-Horse-9", name: String = "Ana Learner"
    ) async throws
        -> Reply
    {
        try await call(
            "SignUp",
            [
                "ClientId": clientId, "Username": email, "Password": password,
                "UserAttributes": [["Name": "name", "Value": name], ["Name": "email", "Value": email]],
            ])
    }

    @discardableResult
    func signIn(_ email: String, password: String = "Correct-Horse-9") async throws -> Reply {
        try await call(
            "InitiateAuth",
            [
                "ClientId": clientId, "AuthFlow": "USER_PASSWORD_AUTH",
                "AuthParameters": ["USERNAME": email, "PASSWORD": password],
            ])
    }

    @discardableResult
    func confirm(_ email: String, code: String) async throws -> Reply {
        try await call("ConfirmSignUp", ["ClientId": clientId, "Username": email, "ConfirmationCode": code])
    }

    func jwks(poolId: String) async throws -> Data {
        try await client.execute(uri: "/idp/\(poolId)/.well-known/jwks.json", method: .get) { Data(buffer: $0.body) }
    }
}

/// A clock tests move by hand.
final class TestClock: Sendable {
    private let current = Mutex(Date())
    var now: Date { current.withLock { $0 } }
    func advance(by seconds: TimeInterval) { current.withLock { $0 += seconds } }
}

/// Every log record a provider wrote.
final class CapturedLog: Sendable {
    struct Record: Sendable {
        var level: Logger.Level
        var message: String
        var metadata: [String: String]
    }

    private let records = Mutex<[Record]>([])
    func append(_ record: Record) { records.withLock { $0.append(record) } }
    var all: [Record] { records.withLock { $0 } }

    /// The latest development code sent to `email` for `purpose` ("sign-up confirmation" or "password reset").
    func code(for email: String, purpose: String = "sign-up confirmation") -> String? {
        all.last { $0.level == .notice && $0.metadata["email"] == email && $0.metadata["purpose"] == purpose }?
            .metadata["code"]
    }
}

struct CapturingLogHandler: LogHandler {
    let log: CapturedLog
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        log.append(
            .init(
                level: event.level, message: "\(event.message)",
                metadata: (event.metadata ?? [:]).mapValues { "\($0)" }))
    }
}

/// Decodes a JWT's payload without verifying it (to look at claims in tests).
func unverifiedClaims(_ token: String) -> [String: Any] {
    let parts = token.split(separator: ".")
    guard parts.count >= 2 else { return [:] }
    var base64 = parts[1].replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
    base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
    guard let data = Data(base64Encoded: base64) else { return [:] }
    return (try? JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:]
}

/// Removes a folder when released.
final class DirectoryRemover: Sendable {
    let path: String

    init(path: String) {
        self.path = path
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }
}
