import ArgumentParser
import Foundation
import Identity
import Logging
import Provisioning
import TokenVerification

/// `cakap users`: the development identity provider's users, and a token check for operators.
struct Users: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage users of the development identity provider.",
        subcommands: [Confirm.self, List.self, VerifyToken.self])

    /// Where the development identity provider keeps its users.
    struct DataOptions: ParsableArguments {
        @Option(name: .customLong("data"), help: "The identity data directory (default $CAKAP_HOME/identity).")
        var directory: String?

        var resolved: String { directory ?? CakapPaths.fromEnvironment().home + "/identity" }

        /// The provider on that directory. Only the data matters here, not where it is served.
        func provider() throws -> DevelopmentIdentityProvider {
            try DevelopmentIdentityProvider(
                settings: .development(publicBaseURL: "http://127.0.0.1:8080/idp"), dataDirectory: resolved,
                logger: Logger(label: "cakap.users"))
        }
    }

    struct Confirm: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Confirm a sign-up as an operator, like AdminConfirmSignUp (R-AUTH-7).",
            discussion: "Safe while the provider is running: it picks the change up on its next request.")
        @OptionGroup var data: DataOptions
        @Argument(help: "The user's email address.") var email: String

        func run() async throws {
            do {
                try await data.provider().confirmUser(email: email)
            } catch let error as CognitoError where error.code == .userNotFound {
                printError("no user \(email) in \(data.resolved)")
                throw ExitCode.failure
            }
            print("confirmed \(email.lowercased())")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the users.")
        @OptionGroup var data: DataOptions

        func run() async throws {
            let users = try await data.provider().listUsers()
            guard !users.isEmpty else {
                print("no users in \(data.resolved)")
                return
            }
            let dates = ISO8601DateFormatter()
            for user in users {
                let columns = [
                    user.email.padding(toLength: 32, withPad: " ", startingAt: 0),
                    user.status.padding(toLength: 11, withPad: " ", startingAt: 0),
                    (user.emailVerified ? "verified" : "unverified").padding(toLength: 10, withPad: " ", startingAt: 0),
                    dates.string(from: user.createdAt), user.sub, user.name,
                ]
                print(columns.joined(separator: "  "))
            }
        }
    }

    struct VerifyToken: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify-token",
            abstract: "Check an ID token as API Gateway's Cognito authorizer would; print its claims.",
            discussion: "Exits 1 and prints the status API Gateway would answer when the token is refused.")
        @Argument(help: "The ID token (a leading 'Bearer ' is accepted).") var token: String
        @Option(help: "The pool's JWKS URL.") var jwks: String
        @Option(help: "The expected issuer (iss).") var issuer: String
        @Option(help: "The expected audience (aud): the app client id.") var audience: String

        func run() async throws {
            let verifier = TokenVerifier(jwksURL: jwks, issuer: issuer, audience: audience)
            let identity: VerifiedIdentity
            do {
                identity = try await verifier.verify(authorizationHeader: token)
            } catch {
                printError("rejected: \(error.status.code) \(error.message) (\(error.reason))")
                throw ExitCode.failure
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(identity.claims), as: UTF8.self))
        }
    }
}

private func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}
