import Foundation
import Logging
import PostgresNIO

/// Versioned schema changes, applied at start-up in one transaction under an advisory lock, so
/// running them twice, or from several instances at once, is safe: the second waits, then finds
/// them applied.
enum Migrations {
    /// Arbitrary, fixed: the advisory lock key of Cakap's conversations schema.
    static let lockKey: Int64 = 0x0C4A_4A50_0001

    /// Never edit a shipped migration; add the next version.
    static let all: [(version: Int, name: String, sql: [String])] = [
        (
            1, "conversations with vectors",
            [
                "CREATE EXTENSION IF NOT EXISTS vector",  // R-DB-2
                """
                CREATE TABLE conversations (
                    uid text NOT NULL,
                    id uuid NOT NULL,
                    title text NOT NULL,
                    conversation jsonb NOT NULL,
                    embedding vector,
                    embedding_model text,
                    embedding_dim integer,
                    created_at timestamptz NOT NULL DEFAULT now(),
                    updated_at timestamptz NOT NULL DEFAULT now(),
                    PRIMARY KEY (uid, id),
                    CHECK ((embedding IS NULL) = (embedding_model IS NULL)),
                    CHECK (embedding IS NULL OR vector_dims(embedding) = embedding_dim)
                )
                """,
                "CREATE INDEX conversations_owner_recent ON conversations (uid, updated_at DESC, id DESC)",
            ]
        )
    ]

    /// Applies what is missing and makes sure the HNSW index for `dimensions` exists. Returns the
    /// versions this call applied.
    ///
    /// When every migration and the index are already there, nothing is created, so a role with
    /// no CREATE privilege (the functions' least-privilege role) starts too. With `appRole`, the
    /// owner also creates or updates that role: LOGIN with its password, and only SELECT, INSERT,
    /// UPDATE and DELETE on `conversations` (issue 19: the functions used the master account).
    @discardableResult
    static func apply(
        on client: PostgresClient, dimensions: Int, appRole: AppRole? = nil, logger: Logger
    ) async throws -> [Int] {
        try await client.withTransaction(logger: logger) { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(\(lockKey))", logger: logger)
            if appRole == nil, try await isComplete(connection, dimensions: dimensions, logger: logger) { return [] }
            try await connection.query(
                """
                CREATE TABLE IF NOT EXISTS cakap_schema_migrations (
                    version integer PRIMARY KEY,
                    name text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now()
                )
                """, logger: logger)
            var applied: Set<Int> = []
            for try await version in try await connection.query(
                "SELECT version FROM cakap_schema_migrations", logger: logger
            ).decode(Int.self) {
                applied.insert(version)
            }
            var new: [Int] = []
            for migration in all where !applied.contains(migration.version) {
                for statement in migration.sql {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query(
                    "INSERT INTO cakap_schema_migrations (version, name) VALUES (\(migration.version), \(migration.name))",
                    logger: logger)
                new.append(migration.version)
            }
            // One partial HNSW index per dimension in use: pgvector indexes need a fixed dimension,
            // and a model change must not mix vectors of two sizes.
            try await connection.query(PostgresQuery(unsafeSQL: vectorIndexSQL(dimensions: dimensions)), logger: logger)
            for statement in appRole?.statements ?? [] {
                try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
            }
            return new
        }
    }

    /// Every migration applied and the vector index of `dimensions` present: nothing to create.
    static func isComplete(_ connection: PostgresConnection, dimensions: Int, logger: Logger) async throws -> Bool {
        let index = "conversations_embedding_hnsw_\(dimensions)"
        let rows = try await connection.query(
            "SELECT to_regclass('cakap_schema_migrations') IS NOT NULL, to_regclass(\(index)) IS NOT NULL",
            logger: logger)
        for try await (table, indexExists) in rows.decode((Bool, Bool).self) where !(table && indexExists) {
            return false
        }
        var applied: Set<Int> = []
        for try await version in try await connection.query(
            "SELECT version FROM cakap_schema_migrations", logger: logger
        ).decode(Int.self) {
            applied.insert(version)
        }
        return all.allSatisfy { applied.contains($0.version) }
    }

    /// The functions' least-privilege role (`DB_APP_USER`, `DB_APP_PASSWORD`), set up by the owner.
    struct AppRole: Sendable {
        let name: String
        let password: String

        /// A role name PostgreSQL takes unquoted, so it cannot carry SQL.
        static func isValidName(_ name: String) -> Bool {
            guard let first = name.unicodeScalars.first, name.count <= 63 else { return false }
            let allowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyz0123456789_")
            return (first == "_" || ("a"..."z").contains(first)) && name.unicodeScalars.allSatisfy(allowed.contains)
        }

        /// Role DDL takes no bind parameters: the name is checked above and the password quoted.
        var statements: [String] {
            let quoted = "'" + password.replacingOccurrences(of: "'", with: "''") + "'"
            return [
                "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '\(name)') THEN "
                    + "CREATE ROLE \(name); END IF; END $$",
                "ALTER ROLE \(name) WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT PASSWORD \(quoted)",
                "REVOKE ALL ON ALL TABLES IN SCHEMA public FROM \(name)",
                // PostgreSQL before 15 lets every role create tables in public.
                "REVOKE CREATE ON SCHEMA public FROM PUBLIC",
                "GRANT USAGE ON SCHEMA public TO \(name)",
                "GRANT SELECT, INSERT, UPDATE, DELETE ON conversations TO \(name)",
                "GRANT SELECT ON cakap_schema_migrations TO \(name)",
            ]
        }
    }

    static func vectorIndexSQL(dimensions: Int) -> String {
        precondition((1...2000).contains(dimensions), "pgvector indexes at most 2,000 dimensions")
        return """
            CREATE INDEX IF NOT EXISTS conversations_embedding_hnsw_\(dimensions) ON conversations
            USING hnsw ((embedding::vector(\(dimensions))) vector_cosine_ops) WHERE embedding_dim = \(dimensions)
            """
    }
}
