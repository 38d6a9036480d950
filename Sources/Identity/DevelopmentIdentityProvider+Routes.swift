import Foundation
import Hummingbird
import Logging
import NIOCore

extension DevelopmentIdentityProvider {
    /// The provider's route table, mounted where ``IdentityPoolSettings/publicBaseURL`` points:
    ///
    ///     POST /                                  Cognito's JSON protocol (X-Amz-Target selects the action)
    ///     GET  /<poolId>/.well-known/jwks.json    the public signing key
    ///
    /// - Parameter routes: a router, or a group such as `router.group("idp")`.
    public nonisolated func addRoutes<Routes: RouterMethods>(to routes: Routes) {
        routes.post("/") { request, context in
            let address = (context as? any RemoteAddressRequestContext)?.remoteAddress?.ipAddress
            return await self.respond(to: request, from: address)
        }
        routes.get("/:poolId/.well-known/jwks.json") { _, context in
            self.keySetResponse(poolId: context.parameters.get("poolId") ?? "")
        }
    }

    /// The JWKS for this pool; 404 with a Cognito-style message for any other pool id.
    nonisolated func keySetResponse(poolId: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        guard poolId == settings.poolId else {
            let body = (try? JSONEncoder().encode(["message": "User pool \(poolId) does not exist."])) ?? Data()
            return Response(status: .notFound, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
        }
        headers[.cacheControl] = "max-age=300"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: keySetJSON)))
    }

    /// Largest request body accepted; Cognito's requests are small.
    static let maximumBodyBytes = 64 * 1024

    /// One Cognito call: dispatches on `X-Amz-Target`, answers JSON or a Cognito error, never throws.
    /// - Parameter address: the client's address (the connection's peer, never `X-Forwarded-For`),
    ///   for the per-address limit; nil skips it.
    func respond(to request: Request, from address: String? = nil) async -> Response {
        let target = request.headers[CognitoMedia.target] ?? ""
        let action =
            target.hasPrefix(CognitoMedia.targetPrefix)
            ? String(target.dropFirst(CognitoMedia.targetPrefix.count)) : target
        do {
            var request = request
            let body = try await request.collectBody(upTo: Self.maximumBodyBytes)
            let data = body.readableBytes == 0 ? Data("{}".utf8) : Data(body.readableBytesView)
            try await checkRateLimits(address: address, body: data)
            let response = try await perform(action, body: data)
            logger.info("cognito action", metadata: ["action": "\(action)", "outcome": "ok"])
            return response
        } catch let error as CognitoError {
            let level: Logger.Level = error.code == .internalError ? .error : .info
            logger.log(level: level, "cognito action", metadata: ["action": "\(action)", "outcome": "\(error)"])
            return error.makeResponse()
        } catch {
            logger.error("cognito action failed", metadata: ["action": "\(action)", "error": "\(error)"])
            return CognitoError(.internalError, "Internal error").makeResponse()
        }
    }

    /// Issue 19: per client address and per username named in the body, before any work (a
    /// bcrypt hash, a code check) is done. Cognito answers `TooManyRequestsException`.
    private func checkRateLimits(address: String?, body: Data) async throws {
        if let address, await !addressLimiter.allow(address) { throw CognitoError.tooManyRequests }
        let names = try? JSONDecoder().decode(NamedAccount.self, from: body)
        if let username = names?.username ?? names?.authParameters?["USERNAME"] {
            let account = username.trimmingCharacters(in: .whitespaces).lowercased()
            if await !accountLimiter.allow(account) { throw CognitoError.tooManyRequests }
        }
    }

    private func perform(_ action: String, body: Data) async throws -> Response {
        switch action {
        case "SignUp": try Self.encode(await signUp(Self.decode(body)))
        case "ConfirmSignUp": try Self.encode(confirmSignUp(Self.decode(body)))
        case "ResendConfirmationCode": try Self.encode(resendConfirmationCode(Self.decode(body)))
        case "InitiateAuth": try Self.encode(await initiateAuth(Self.decode(body)))
        case "ForgotPassword": try Self.encode(forgotPassword(Self.decode(body)))
        case "ConfirmForgotPassword": try Self.encode(await confirmForgotPassword(Self.decode(body)))
        case "GetUser": try Self.encode(await getUser(Self.decode(body)))
        case "GlobalSignOut": try Self.encode(await globalSignOut(Self.decode(body)))
        default:
            throw CognitoError(.unknownOperation, "Unknown operation \(action.isEmpty ? "(no X-Amz-Target)" : action)")
        }
    }

    private static func decode<T: Decodable>(_ body: Data) throws -> T {
        do {
            return try JSONDecoder().decode(T.self, from: body)
        } catch {
            throw CognitoError(.serialization, "The request body is not a valid \(T.self)")
        }
    }

    private static func encode(_ value: some Encodable) throws -> Response {
        var headers = HTTPFields()
        headers[.contentType] = CognitoMedia.contentType
        headers[CognitoMedia.requestID] = UUID().uuidString.lowercased()
        return Response(
            status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: try JSONEncoder().encode(value))))
    }
}

/// The username a Cognito request names, wherever the action puts it.
private struct NamedAccount: Decodable {
    var username: String?
    var authParameters: [String: String]?

    enum CodingKeys: String, CodingKey {
        case username = "Username"
        case authParameters = "AuthParameters"
    }
}
