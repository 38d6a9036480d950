import Foundation
import ModelStore
import TestSupport
import Testing

/// Many workers, one folder (R-EFS-2, R-LLM-6 "concurrent pulls share progress"): one download per blob.
@Suite struct BlobTransferTests {
    let payload = Data((0..<200_000).map { UInt8($0 % 251) })

    /// A fake registry: appends the payload from an offset, slowly, counting calls.
    func slowFetch(_ payload: Data, calls: LockedBox<Int>) -> @Sendable (String, Int64) async throws -> Void {
        { path, offset in
            calls.withLock { $0 += 1 }
            guard let handle = FileHandle(forWritingAtPath: path) else { throw CocoaError(.fileNoSuchFile) }
            defer { try? handle.close() }
            try handle.seekToEnd()
            var position = Int(offset)
            while position < payload.count {
                let end = min(payload.count, position + 20_000)
                try handle.write(contentsOf: payload[position..<end])
                position = end
                try await Task.sleep(for: .milliseconds(20))
            }
        }
    }

    @Test func twoWorkersDownloadOnce() async throws {
        try await withTemporaryDirectory { root in
            let store = ModelStore(root: root)
            try store.prepare()
            let digest = Digest.of(payload)
            let calls = LockedBox(0)
            let fetch = slowFetch(payload, calls: calls)
            let sawProgress = LockedBox<[Int64]>([])
            var transfer = BlobTransfer(store: store, digest: digest, size: Int64(payload.count))
            transfer.pollInterval = .milliseconds(10)
            async let first = transfer.ensurePresent(fetch: fetch, progress: { _ in })
            try await Task.sleep(for: .milliseconds(5))
            async let second = transfer.ensurePresent(
                fetch: fetch, progress: { completed in sawProgress.withLock { $0.append(completed) } })
            let outcomes = try await [first, second]
            #expect(calls.withLock { $0 } == 1)
            #expect(Set(outcomes) == [.downloaded, .downloadedByAnotherWorker])
            #expect(try Digest.ofFile(at: store.blobPath(for: digest)) == digest)
            // The waiting worker reported the other's progress, ending at the full size.
            #expect(sawProgress.withLock { $0.last } == Int64(payload.count))
            #expect(sawProgress.withLock { $0.count } > 2)
            #expect(!FileManager.default.fileExists(atPath: try store.blobPath(for: digest) + "-partial.lock"))
        }
    }

    @Test func resumesFromAPartialFile() async throws {
        try await withTemporaryDirectory { root in
            let store = ModelStore(root: root)
            try store.prepare()
            let digest = Digest.of(payload)
            let partial = try store.blobPath(for: digest) + "-partial"
            try payload.prefix(50_000).write(to: URL(fileURLWithPath: partial))
            let offsets = LockedBox<[Int64]>([])
            let outcome = try await BlobTransfer(store: store, digest: digest, size: Int64(payload.count))
                .ensurePresent(
                    fetch: { path, offset in
                        offsets.withLock { $0.append(offset) }
                        guard let handle = FileHandle(forWritingAtPath: path) else { throw CocoaError(.fileNoSuchFile) }
                        try handle.seekToEnd()
                        try handle.write(contentsOf: payload[Int(offset)...])
                        try handle.close()
                    }, progress: { _ in })
            #expect(outcome == .downloaded)
            #expect(offsets.withLock { $0 } == [50_000])
        }
    }

    @Test func corruptBytesAreRejectedAndNothingIsPublished() async throws {
        try await withTemporaryDirectory { root in
            let store = ModelStore(root: root)
            try store.prepare()
            let digest = Digest.of(payload)
            let corrupt = Data(repeating: 7, count: payload.count)
            await #expect(throws: ModelStoreError.self) {
                try await BlobTransfer(store: store, digest: digest, size: Int64(payload.count)).ensurePresent(
                    fetch: { path, _ in try corrupt.write(to: URL(fileURLWithPath: path)) }, progress: { _ in })
            }
            #expect(!store.hasBlob(digest))
            #expect(!FileManager.default.fileExists(atPath: try store.blobPath(for: digest) + "-partial.lock"))
        }
    }

    /// Issue 9 (the store's disk filling during a pull; `tests/faults/test_faults_disk_full.py`):
    /// a full disk is a clean `outOfSpace` error, and the partial download is removed so the disk
    /// is not left full for every other worker of the shared store.
    @Test func aFullDiskIsACleanErrorAndFreesThePartial() async throws {
        try await withTemporaryDirectory { root in
            let store = ModelStore(root: root)
            try store.prepare()
            let digest = Digest.of(payload)
            let partial = try store.blobPath(for: digest) + "-partial"
            let failures: [any Error] = [
                CocoaError(.fileWriteOutOfSpace),
                NSError(
                    domain: NSCocoaErrorDomain, code: 640,
                    userInfo: [NSUnderlyingErrorKey: NSError(domain: NSPOSIXErrorDomain, code: Int(ENOSPC))]),
                POSIXError(.ENOSPC),
            ]
            for failure in failures {
                #expect(ModelStoreError.isOutOfSpace(failure))
                let thrown = await #expect(throws: ModelStoreError.self) {
                    try await BlobTransfer(store: store, digest: digest, size: Int64(payload.count)).ensurePresent(
                        fetch: { path, _ in
                            try payload.prefix(1000).write(to: URL(fileURLWithPath: path))
                            throw failure
                        }, progress: { _ in })
                }
                #expect(thrown?.description.contains("no space left on device") == true)
                #expect(thrown?.description.contains("after 1000 of 200000 bytes") == true)
                #expect(!FileManager.default.fileExists(atPath: partial))
                #expect(!FileManager.default.fileExists(atPath: partial + ".lock"))
            }
            #expect(!ModelStoreError.isOutOfSpace(CocoaError(.fileNoSuchFile)))
        }
    }

    @Test func anAbandonedLockIsTakenOver() async throws {
        try await withTemporaryDirectory { root in
            let store = ModelStore(root: root)
            try store.prepare()
            let digest = Digest.of(payload)
            let lock = try store.blobPath(for: digest) + "-partial.lock"
            try Data("dead-worker 1\n".utf8).write(to: URL(fileURLWithPath: lock))
            try FileManager.default.setAttributes(
                [.modificationDate: Date(timeIntervalSinceNow: -120)], ofItemAtPath: lock)
            var transfer = BlobTransfer(store: store, digest: digest, size: Int64(payload.count))
            transfer.pollInterval = .milliseconds(10)
            let outcome = try await transfer.ensurePresent(
                fetch: { path, _ in try payload.write(to: URL(fileURLWithPath: path)) }, progress: { _ in })
            #expect(outcome != .alreadyPresent)
            #expect(store.hasBlob(digest))
        }
    }

    @Test func aPresentBlobIsNotFetched() async throws {
        try await withTemporaryDirectory { root in
            let store = ModelStore(root: root)
            try store.prepare()
            let layer = try store.importBlob(bytes: payload, mediaType: Manifest.MediaType.model)
            let outcome = try await BlobTransfer(store: store, digest: layer.digest, size: layer.size).ensurePresent(
                fetch: { _, _ in Issue.record("fetched a present blob") }, progress: { _ in })
            #expect(outcome == .alreadyPresent)
        }
    }
}
