import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Models on disk in Ollama's layout, so that Ollama itself could use the same folder:
///
///     <root>/manifests/<host>/<namespace>/<model>/<tag>   JSON manifest
///     <root>/blobs/sha256-<hex>                           content-addressed blobs
///
/// Safe for several workers on one (NFS) folder: every file is written under a temporary name and
/// renamed into place, blobs are downloaded by one worker at a time (see `BlobDownload`), and
/// nothing is pruned at start-up.
public struct ModelStore: Sendable {
    /// The store's root folder.
    public let root: String
    /// Unreferenced blobs younger than this are kept: another worker may be about to reference them.
    public var pruneGrace: Duration = .seconds(600)

    public init(root: String) {
        self.root = root
    }

    var manifestsDirectory: String { root + "/manifests" }
    var blobsDirectory: String { root + "/blobs" }

    /// Creates the store's folders if needed.
    public func prepare() throws {
        for directory in [manifestsDirectory, blobsDirectory] {
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            } catch {
                throw ModelStoreError.io("cannot create \(directory): \(error.localizedDescription)")
            }
        }
    }

    /// Whether the store's folders exist and can be read.
    public var isReadable: Bool {
        FileManager.default.isReadableFile(atPath: manifestsDirectory)
            && FileManager.default.isReadableFile(atPath: blobsDirectory)
    }

    /// The path of a blob (which may not exist yet).
    public func blobPath(for digest: String) throws -> String {
        guard let hex = Digest.hex(of: digest) else { throw ModelStoreError.invalidDigest(digest) }
        return "\(blobsDirectory)/sha256-\(hex)"
    }

    /// Whether a complete blob is present.
    public func hasBlob(_ digest: String) -> Bool {
        guard let path = try? blobPath(for: digest) else { return false }
        return FileManager.default.fileExists(atPath: path)
    }

    func manifestPath(for name: ModelName) -> String {
        "\(manifestsDirectory)/\(name.manifestRelativePath)"
    }

    /// The model of that name, or `ModelStoreError.notFound`.
    public func model(named name: ModelName) throws -> StoredModel {
        let path = manifestPath(for: name)
        guard let bytes = FileManager.default.contents(atPath: path) else {
            throw ModelStoreError.notFound(name.displayName)
        }
        return try StoredModel(name: name, manifestBytes: bytes, modified: Self.modificationDate(path), store: self)
    }

    /// Every model whose manifest parses, newest first. Unreadable manifests are skipped.
    public func list() -> [StoredModel] {
        var models: [StoredModel] = []
        let fileManager = FileManager.default
        for host in Self.children(of: manifestsDirectory) {
            for namespace in Self.children(of: "\(manifestsDirectory)/\(host)") {
                for model in Self.children(of: "\(manifestsDirectory)/\(host)/\(namespace)") {
                    let folder = "\(manifestsDirectory)/\(host)/\(namespace)/\(model)"
                    for tag in Self.children(of: folder) where !tag.hasPrefix(".") {
                        let name = ModelName(host: host, namespace: namespace, model: model, tag: tag)
                        let path = "\(folder)/\(tag)"
                        guard let bytes = fileManager.contents(atPath: path),
                            let stored = try? StoredModel(
                                name: name, manifestBytes: bytes, modified: Self.modificationDate(path), store: self)
                        else { continue }
                        models.append(stored)
                    }
                }
            }
        }
        return models.sorted { $0.modified > $1.modified }
    }

    /// Writes a manifest atomically, after checking that every blob it names is present.
    public func writeManifest(_ manifest: Manifest, for name: ModelName) throws {
        for digest in manifest.allDigests where !hasBlob(digest) {
            throw ModelStoreError.corrupt("manifest for \(name) names missing blob \(digest)")
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let bytes = try encoder.encode(manifest)
        let path = manifestPath(for: name)
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Self.writeAtomically(bytes, to: path)
    }

    /// Gives an existing model a second name (same blobs).
    public func copy(from source: ModelName, to destination: ModelName) throws {
        let model = try model(named: source)
        try writeManifest(model.manifest, for: destination)
    }

    /// Removes a model's name, then the blobs no manifest references any more, except blobs that are
    /// younger than `pruneGrace` or being downloaded (another worker may be about to use them).
    public func delete(_ name: ModelName) throws {
        let path = manifestPath(for: name)
        guard FileManager.default.fileExists(atPath: path) else {
            throw ModelStoreError.notFound(name.displayName)
        }
        try FileManager.default.removeItem(atPath: path)
        prune()
    }

    /// Removes unreferenced blobs older than `pruneGrace`. Returns how many were removed.
    @discardableResult
    public func prune() -> Int {
        let referenced = Set(list().flatMap { $0.manifest.allDigests }.compactMap { Digest.hex(of: $0) })
        let cutoff = Date().addingTimeInterval(-Double(pruneGrace.components.seconds))
        var removed = 0
        for file in Self.children(of: blobsDirectory) where file.hasPrefix("sha256-") && file.count == 71 {
            let hex = String(file.dropFirst("sha256-".count))
            let path = "\(blobsDirectory)/\(file)"
            guard !referenced.contains(hex), Self.modificationDate(path) < cutoff,
                !FileManager.default.fileExists(atPath: path + "-partial.lock")
            else { continue }
            if (try? FileManager.default.removeItem(atPath: path)) != nil { removed += 1 }
        }
        return removed
    }

    /// Marks a blob as just used, so a concurrent `prune` keeps it (see `pruneGrace`).
    public func touch(_ digest: String) {
        guard let path = try? blobPath(for: digest) else { return }
        try? FileManager.default.setAttributes([.modificationDate: Date()], ofItemAtPath: path)
    }

    // MARK: - File helpers

    static func children(of directory: String) -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: directory))?.sorted() ?? []
    }

    static func modificationDate(_ path: String) -> Date {
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        return attributes?[.modificationDate] as? Date ?? .distantPast
    }

    /// Writes to `path.tmp-<random>` and renames over `path`, so readers see old or new, never half.
    static func writeAtomically(_ bytes: Data, to path: String) throws {
        let temporary = "\(path).tmp-\(UInt64.random(in: 0...UInt64.max))"
        guard FileManager.default.createFile(atPath: temporary, contents: bytes) else {
            throw ModelStoreError.io("cannot write \(temporary)")
        }
        try renameReplacing(temporary, path)
    }

    /// rename(2): atomic, and replaces the destination.
    static func renameReplacing(_ source: String, _ destination: String) throws {
        guard rename(source, destination) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(atPath: source)
            throw ModelStoreError.io("cannot rename \(source) to \(destination): \(reason)")
        }
    }
}

extension ModelStore {
    /// Writes a manifest exactly as a registry sent it (its digest stays the registry's), after
    /// checking that it parses and that every blob it names is present.
    public func writeManifest(rawBytes: Data, for name: ModelName) throws {
        guard let manifest = try? JSONDecoder().decode(Manifest.self, from: rawBytes) else {
            throw ModelStoreError.corrupt("manifest for \(name) does not parse")
        }
        for digest in manifest.allDigests where !hasBlob(digest) {
            throw ModelStoreError.corrupt("manifest for \(name) names missing blob \(digest)")
        }
        let path = manifestPath(for: name)
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Self.writeAtomically(rawBytes, to: path)
    }
}
