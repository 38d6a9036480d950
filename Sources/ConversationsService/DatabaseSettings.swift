import CakapSettings
import Foundation
import NIOSSL
import PostgresNIO

/// Where the database is (R-FN-2: `DB_USER`, `DB_PASSWORD`, `DB_HOST`, `DB_PORT`, `DB_NAME`) and
/// how to reach it safely (`DB_SSLMODE`, `DB_SSLROOTCERT`). Read in one place.
public struct DatabaseSettings: Sendable, Equatable {
    /// How TLS is used, as libpq names it.
    public enum SSLMode: String, Sendable, CaseIterable {
        /// Plain TCP (a loopback development database).
        case disable
        /// TLS when the server offers it, unverified.
        case prefer
        /// TLS always, unverified.
        case require
        /// TLS always, the server's certificate checked against `DB_SSLROOTCERT` and its name
        /// against `DB_HOST` (RDS: the regional CA bundle).
        case verifyFull = "verify-full"
    }

    /// `DB_HOST`.
    public var host: String
    /// `DB_PORT`, default 5432.
    public var port: Int = 5432
    /// `DB_USER`.
    public var user: String
    /// `DB_PASSWORD`; never logged.
    public var password: String?
    /// `DB_NAME`, default `postgres`.
    public var database: String = "postgres"
    /// `DB_SSLMODE`, default `prefer`.
    public var sslMode: SSLMode = .prefer
    /// `DB_SSLROOTCERT`: a PEM bundle for `verify-full`.
    public var rootCertificatePath: String?

    public init(host: String, port: Int = 5432, user: String, password: String?, database: String = "postgres") {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.database = database
    }

    /// Reads the `DB_*` variables; nil when `DB_HOST` is unset.
    public static func fromEnvironment(
        _ environment: [String: String] = ProcessEnvironment.current
    )
        throws -> DatabaseSettings?
    {
        guard let host = environment[Settings.databaseHost], !host.isEmpty else { return nil }
        guard let user = environment[Settings.databaseUser], !user.isEmpty else {
            throw ConfigurationError("DB_HOST is set but DB_USER is not")
        }
        var settings = DatabaseSettings(host: host, user: user, password: environment[Settings.databasePassword])
        if let port = environment[Settings.databasePort], !port.isEmpty {
            guard let value = Int(port), (1...65535).contains(value) else {
                throw ConfigurationError("DB_PORT must be a port number, not \"\(port)\"")
            }
            settings.port = value
        }
        if let name = environment[Settings.databaseName], !name.isEmpty { settings.database = name }
        if let mode = environment[Settings.databaseTLSMode], !mode.isEmpty {
            guard let value = SSLMode(rawValue: mode) else {
                throw ConfigurationError(
                    "DB_SSLMODE must be one of \(SSLMode.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            settings.sslMode = value
        }
        if let path = environment[Settings.databaseRootCertificate], !path.isEmpty {
            settings.rootCertificatePath = path
        }
        if settings.sslMode == .verifyFull, settings.rootCertificatePath == nil {
            throw ConfigurationError("DB_SSLMODE=verify-full needs DB_SSLROOTCERT (a PEM CA bundle)")
        }
        return settings
    }

    /// The postgres-nio client configuration.
    public func clientConfiguration() throws -> PostgresClient.Configuration {
        let tls: PostgresClient.Configuration.TLS
        switch sslMode {
        case .disable:
            tls = .disable
        case .prefer, .require:
            var configuration = TLSConfiguration.makeClientConfiguration()
            configuration.certificateVerification = .none
            tls = sslMode == .prefer ? .prefer(configuration) : .require(configuration)
        case .verifyFull:
            var configuration = TLSConfiguration.makeClientConfiguration()
            configuration.certificateVerification = .fullVerification
            configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(rootCertificatePath ?? ""))
            tls = .require(configuration)
        }
        var configuration = PostgresClient.Configuration(
            host: host, port: port, username: user, password: password, database: database, tls: tls)
        configuration.options.connectTimeout = .seconds(5)
        configuration.options.maximumConnections = 10
        return configuration
    }
}

/// A setting that cannot be used; the message says which and why.
public struct ConfigurationError: Error, CustomStringConvertible, Sendable {
    public let description: String

    public init(_ description: String) { self.description = description }
}
