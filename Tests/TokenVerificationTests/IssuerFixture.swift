import Foundation
import Identity
import Logging

/// A real issuer for the verifier's tests: the development identity provider over a temporary
/// folder, so the key set the verifier reads is the one the provider serves (the signing key is
/// in `directory/signing-key.pem`). The verifier itself does not depend on the provider.
struct IssuerFixture {
    let directory = NSTemporaryDirectory() + "cakap-verifier-test-\(UUID().uuidString)"
    let settings = IdentityPoolSettings.development(publicBaseURL: "http://127.0.0.1:8080/idp")

    func makeProvider() throws -> DevelopmentIdentityProvider {
        try DevelopmentIdentityProvider(
            settings: settings, dataDirectory: directory,
            logger: Logger(label: "test.issuer", factory: { _ in SwiftLogNoOpLogHandler() }))
    }

    func removeDirectory() { try? FileManager.default.removeItem(atPath: directory) }
}
