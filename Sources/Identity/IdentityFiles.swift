import Foundation
import _CryptoExtras

#if canImport(Darwin)
    import Darwin
#elseif canImport(Glibc)
    import Glibc
#endif

/// The provider's data directory (mode 0700):
///
///     users.json         users and sessions (0600), replaced atomically: temp file + fsync + rename
///     signing-key.pem    the RSA-2048 signing key, PKCS#8 PEM (0600), so tokens survive a restart
///     lock               `flock`ed around every read-modify-write, so `cakap users confirm` can run
///                        beside a live provider without either losing the other's change
struct IdentityFiles: Sendable {
    let directory: String

    var databasePath: String { directory + "/users.json" }
    var signingKeyPath: String { directory + "/signing-key.pem" }
    var lockPath: String { directory + "/lock" }

    /// Creates the directory if needed.
    init(directory: String) throws {
        self.directory = directory
        do {
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw CognitoError(.internalError, "cannot create identity data directory \(directory): \(error)")
        }
    }

    /// Runs `body` holding an exclusive `flock` on the lock file (blocking other processes' writers).
    func withLock<T>(_ body: () throws -> T) throws -> T {
        let descriptor = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw systemError("open \(lockPath)") }
        defer { close(descriptor) }
        guard flock(descriptor, LOCK_EX) == 0 else { throw systemError("flock \(lockPath)") }
        defer { flock(descriptor, LOCK_UN) }
        return try body()
    }

    /// What identifies the database file's current version; `nil` when there is none yet.
    func databaseStamp() -> FileStamp? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: databasePath) else { return nil }
        return FileStamp(
            inode: (attributes[.systemFileNumber] as? NSNumber)?.uint64Value ?? 0,
            size: (attributes[.size] as? NSNumber)?.uint64Value ?? 0,
            modified: (attributes[.modificationDate] as? Date) ?? .distantPast)
    }

    /// The stored database, or an empty one when the file does not exist yet.
    func readDatabase() throws -> IdentityDatabase {
        guard let data = FileManager.default.contents(atPath: databasePath) else { return IdentityDatabase() }
        do {
            let database = try Self.decoder.decode(IdentityDatabase.self, from: data)
            guard database.version == 1 else {
                throw CognitoError(.internalError, "\(databasePath) has unknown version \(database.version)")
            }
            return database
        } catch let error as CognitoError {
            throw error
        } catch {
            throw CognitoError(.internalError, "\(databasePath) is not a valid users file: \(error)")
        }
    }

    func writeDatabase(_ database: IdentityDatabase) throws {
        try writeAtomically(try Self.encoder.encode(database), to: databasePath)
    }

    /// The signing key, created on first use. Call inside `withLock` so two processes starting
    /// together agree on one key.
    func loadOrCreateSigningKey() throws -> _RSA.Signing.PrivateKey {
        if FileManager.default.fileExists(atPath: signingKeyPath) {
            // An unreadable key is an error, never a reason to make a new one: that would
            // invalidate every token already issued.
            do {
                let pem = try String(contentsOfFile: signingKeyPath, encoding: .utf8)
                let key = try _RSA.Signing.PrivateKey(pemRepresentation: pem)
                guard key.keySizeInBits >= 2048 else {
                    throw CognitoError(.internalError, "\(signingKeyPath) holds a key shorter than 2048 bits")
                }
                return key
            } catch let error as CognitoError {
                throw error
            } catch {
                throw CognitoError(.internalError, "cannot read the RSA key in \(signingKeyPath): \(error)")
            }
        }
        let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        try writeAtomically(Data(key.pemRepresentation.utf8), to: signingKeyPath)
        return key
    }

    /// Writes a temporary file beside `path` (mode 0600), flushes it to disk, then renames it over
    /// `path`, so a reader or a crash sees the old file or the new one, never half of one.
    private func writeAtomically(_ data: Data, to path: String) throws {
        let temporary = "\(path).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw systemError("open \(temporary)") }
        var written = 0
        let failure: CognitoError? = data.withUnsafeBytes { bytes in
            while written < bytes.count {
                let count = write(descriptor, bytes.baseAddress! + written, bytes.count - written)
                if count < 0 {
                    if errno == EINTR { continue }
                    return systemError("write \(temporary)")
                }
                written += count
            }
            return fsync(descriptor) == 0 ? nil : systemError("fsync \(temporary)")
        }
        close(descriptor)
        if let failure {
            unlink(temporary)
            throw failure
        }
        guard rename(temporary, path) == 0 else {
            let error = systemError("rename \(temporary)")
            unlink(temporary)
            throw error
        }
    }

    private func systemError(_ operation: String) -> CognitoError {
        CognitoError(.internalError, "\(operation): \(String(cString: strerror(errno)))")
    }

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }()

    private static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }()
}

/// Inode, size and modification time: when any differs, another process replaced the file.
struct FileStamp: Equatable, Sendable {
    var inode: UInt64
    var size: UInt64
    var modified: Date
}
