import AsyncHTTPClient
import Foundation

/// Where a ``TokenVerifier`` gets the pool's public keys: the seam between verifying and fetching.
public protocol KeySetSource: Sendable {
    /// The JWKS document, `{"keys": [...]}`.
    func fetchKeySet() async throws -> Data
}

/// The JWKS at a URL: Cognito's `https://cognito-idp.<region>.amazonaws.com/<poolId>/.well-known/jwks.json`,
/// the development provider's `<base>/<poolId>/.well-known/jwks.json`, or moto's.
public struct HTTPKeySetSource: KeySetSource {
    /// The JWKS URL.
    public let url: String
    let httpClient: HTTPClient
    /// How long one fetch may take, in seconds. Default 5.
    public var timeoutSeconds: Int64

    public init(url: String, httpClient: HTTPClient, timeoutSeconds: Int64 = 5) {
        self.url = url
        self.httpClient = httpClient
        self.timeoutSeconds = timeoutSeconds
    }

    public func fetchKeySet() async throws -> Data {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Accept", value: "application/json")
        let response = try await httpClient.execute(request, timeout: .seconds(timeoutSeconds))
        let body = try await response.body.collect(upTo: 1 << 20)
        guard response.status == .ok else {
            throw KeySetFetchError(description: "GET \(url) answered \(response.status.code)")
        }
        return Data(body.readableBytesView)
    }
}

/// A fixed JWKS document: for tests, and for keys known in advance.
public struct StaticKeySetSource: KeySetSource {
    let keySet: Data

    /// - Parameter keySet: a JWKS document.
    public init(_ keySet: Data) { self.keySet = keySet }

    public func fetchKeySet() async throws -> Data { keySet }
}

/// A key set that could not be fetched; the verifier answers `keySetUnavailable` for it.
public struct KeySetFetchError: Error, CustomStringConvertible, Sendable {
    public let description: String
}
