import Foundation

/// The parts of an API Gateway REST API proxy event (payload 1.0) this runtime uses.
public struct APIGatewayProxyEvent: Decodable, Sendable {
    public struct RequestContext: Decodable, Sendable {
        public struct Authorizer: Decodable, Sendable {
            /// The Cognito authorizer's verified claims, as strings.
            public var claims: [String: String]?
        }
        public var requestId: String?
        public var authorizer: Authorizer?
    }

    public var httpMethod: String
    /// The request path, without the stage.
    public var path: String
    public var headers: [String: String]?
    public var queryStringParameters: [String: String]?
    public var requestContext: RequestContext?
    public var body: String?
    public var isBase64Encoded: Bool?

    /// The body's bytes; nil when a base64 body does not decode.
    public var bodyBytes: [UInt8]? {
        guard let body else { return [] }
        if isBase64Encoded == true { return Data(base64Encoded: body).map { Array($0) } }
        return Array(body.utf8)
    }

    /// The caller's `sub`, when the authorizer verified one.
    public var callerSub: String? { requestContext?.authorizer?.claims?["sub"] }

    /// The event of an invocation; anything else is that invocation's `Runtime.InvalidEvent`.
    public static func decode(_ event: [UInt8]) throws -> APIGatewayProxyEvent {
        do {
            return try JSONDecoder().decode(APIGatewayProxyEvent.self, from: Data(event))
        } catch {
            throw FunctionError("the event is not an API Gateway proxy event", type: "Runtime.InvalidEvent")
        }
    }

    /// A request header, by case-insensitive name.
    public func header(_ name: String) -> String? {
        headers?.first { $0.key.lowercased() == name }?.value
    }

    /// The CORS headers a proxy integration must add itself, for an `Origin` among `allowedOrigins`
    /// (`*` allows any).
    public func corsHeaders(allowedOrigins: [String]) -> [String: String] {
        guard let origin = header("origin"), allowedOrigins.contains("*") || allowedOrigins.contains(origin) else {
            return [:]
        }
        return ["access-control-allow-origin": origin, "vary": "Origin"]
    }
}

/// The answer API Gateway turns into the HTTP response.
public struct APIGatewayProxyResponse: Encodable, Sendable {
    public var statusCode: Int
    public var headers: [String: String]
    public var body: String
    public var isBase64Encoded: Bool = false

    public init(statusCode: Int, headers: [String: String], body: String) {
        self.statusCode = statusCode
        self.headers = headers
        self.body = body
    }
}
