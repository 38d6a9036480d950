import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Brings one blob into the store, with at most one downloader among all workers sharing the folder.
///
/// The downloader holds `sha256-<hex>-partial.lock` (created with O_EXCL, which NFSv4 honours) and
/// touches it every `heartbeat`; it appends to `sha256-<hex>-partial` (so a later attempt resumes),
/// verifies the digest and renames the file into place. Every other worker waits, reporting the
/// partial file's size as its progress; a lock not touched for `staleAfter` is taken over.
public struct BlobTransfer: Sendable {
    /// How the blob came to be present.
    public enum Outcome: Sendable, Equatable {
        /// It was already in the store.
        case alreadyPresent
        /// This worker downloaded it.
        case downloaded
        /// Another worker downloaded it while this one waited.
        case downloadedByAnotherWorker
    }

    public let store: ModelStore
    public let digest: String
    public let size: Int64
    /// How often the downloader touches its lock.
    public var heartbeat: Duration = .seconds(2)
    /// A lock older than this is considered abandoned.
    public var staleAfter: Duration = .seconds(20)
    /// How often a waiting worker looks at the partial file.
    public var pollInterval: Duration = .milliseconds(200)

    public init(store: ModelStore, digest: String, size: Int64) {
        self.store = store
        self.digest = digest
        self.size = size
    }

    /// Makes the blob present.
    /// - Parameters:
    ///   - fetch: appends the blob's bytes from the given offset to the file at the given path.
    ///   - progress: called with the number of bytes present so far.
    public func ensurePresent(
        fetch: @escaping @Sendable (_ path: String, _ offset: Int64) async throws -> Void,
        progress: @escaping @Sendable (_ completed: Int64) async -> Void
    ) async throws -> Outcome {
        let finalPath = try store.blobPath(for: digest)
        let partialPath = finalPath + "-partial"
        let lockPath = partialPath + ".lock"
        var waited = false
        var mismatches = 0
        while true {
            try Task.checkCancellation()
            if FileManager.default.fileExists(atPath: finalPath) {
                store.touch(digest)
                await progress(size)
                return waited ? .downloadedByAnotherWorker : .alreadyPresent
            }
            if Self.createExclusively(lockPath) {
                do {
                    try await download(partialPath: partialPath, finalPath: finalPath, lockPath: lockPath, fetch: fetch)
                    unlink(lockPath)
                    await progress(size)
                    return .downloaded
                } catch let error as ModelStoreError where error.kind == .digestMismatch && mismatches == 0 {
                    // A corrupt partial (e.g. two writers after a stale-lock takeover): start over once.
                    mismatches += 1
                    unlink(partialPath)
                    unlink(lockPath)
                    continue
                } catch let error where ModelStoreError.isOutOfSpace(error) {
                    // Keeping the partial for a resume would keep the disk full for every worker of
                    // the shared store, and a resume needs that space again anyway.
                    let written = Self.fileSize(partialPath)
                    unlink(partialPath)
                    unlink(lockPath)
                    throw ModelStoreError.outOfSpace(
                        "the model store is full (no space left on device) after \(written) of \(size) bytes of "
                            + "blob \(digest); the partial download was removed")
                } catch {
                    unlink(lockPath)
                    throw error
                }
            }
            waited = true
            let age = Date().timeIntervalSince(ModelStore.modificationDate(lockPath))
            if FileManager.default.fileExists(atPath: lockPath), age > Double(staleAfter.components.seconds) {
                unlink(lockPath)
                continue
            }
            await progress(Self.fileSize(partialPath))
            try await Task.sleep(for: pollInterval)
        }
    }

    private func download(
        partialPath: String, finalPath: String, lockPath: String,
        fetch: @escaping @Sendable (String, Int64) async throws -> Void
    ) async throws {
        let heartbeat = self.heartbeat
        let beat = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: heartbeat)
                try? FileManager.default.setAttributes([.modificationDate: Date()], ofItemAtPath: lockPath)
            }
        }
        defer { beat.cancel() }
        if !FileManager.default.fileExists(atPath: partialPath) {
            _ = FileManager.default.createFile(atPath: partialPath, contents: nil)
        }
        var offset = Self.fileSize(partialPath)
        if offset > size {
            try FileManager.default.removeItem(atPath: partialPath)
            _ = FileManager.default.createFile(atPath: partialPath, contents: nil)
            offset = 0
        }
        if offset < size {
            try await fetch(partialPath, offset)
        }
        let actualSize = Self.fileSize(partialPath)
        guard actualSize == size else {
            throw ModelStoreError.io("blob \(digest): got \(actualSize) bytes, expected \(size)")
        }
        let actual = try Digest.ofFile(at: partialPath)
        guard actual == digest else {
            throw ModelStoreError.digestMismatch(expected: digest, actual: actual)
        }
        try ModelStore.renameReplacing(partialPath, finalPath)
    }

    static func createExclusively(_ path: String) -> Bool {
        let descriptor = open(path, O_CREAT | O_EXCL | O_WRONLY, 0o644)
        guard descriptor >= 0 else { return false }
        let owner = "\(ProcessInfo.processInfo.hostName) \(getpid())\n"
        _ = owner.withCString { write(descriptor, $0, strlen($0)) }
        close(descriptor)
        return true
    }

    static func fileSize(_ path: String) -> Int64 {
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        return (attributes?[.size] as? NSNumber)?.int64Value ?? 0
    }
}
