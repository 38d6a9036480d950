/// Every environment variable any Cakap program reads, each declared once: name, default,
/// meaning and the programs that read it (STYLE.md §10). Code reads a variable only as
/// `environment[Settings.x]`; `cakap config` prints this list with the current values, and
/// tests/infra/test_settings_registry.py proves that every variable a template, the playbook or a
/// unit file sets is declared here and read by the code.
public enum Settings {
    // MARK: Paths (every subcommand)

    public static let home = Setting(
        "CAKAP_HOME", default: "~/.cache/cakap", "cache root: engines, tools, the default model store",
        programs: [.cli, .setup, .worker, .up])
    public static let models = Setting(
        "CAKAP_MODELS", default: "$CAKAP_HOME/models", "model store (Ollama layout); --models overrides",
        programs: [.cli, .setup, .worker, .up])
    public static let llamaServer = Setting(
        "CAKAP_LLAMA_SERVER", default: "$CAKAP_HOME/engines/llama.cpp-<version>/build/bin/llama-server",
        "the llama-server the worker supervises (on AWS the bundle's, set by worker.env)",
        programs: [.worker, .setup])
    public static let repository = Setting(
        "CAKAP_REPOSITORY", default: "the working directory's checkout, else the one holding this cakap",
        "the checkout whose infra/, config/, tools/, web/, scripts/ the commands use (aws, up, lb, setup, bench)",
        programs: [.cli, .aws])
    public static let logLevel = Setting(
        "CAKAP_LOG_LEVEL", default: "info", "log level of cakap's servers (trace … critical)", programs: [.cli])
    public static let userHome = Setting(
        "HOME", default: "(the account's)", "parent of the default CAKAP_HOME", programs: [.cli], external: true)
    public static let path = Setting(
        "PATH", default: "/usr/bin:/bin", "where programs started by name are found (cmake, pip, aws)",
        programs: [.cli, .setup], external: true)
    public static let libraryPath = Setting(
        "LD_LIBRARY_PATH", default: "(none)",
        "read by the dynamic linker: the worker bundle's lib/ for llama-server (worker.env; RUNPATH also finds it)",
        programs: [.worker], external: true)

    // MARK: The worker

    public static let numParallel = Setting(
        "CAKAP_NUM_PARALLEL", default: "2", "parallel slots per loaded model (llama-server -np)", programs: [.worker])
    public static let maxQueue = Setting(
        "CAKAP_MAX_QUEUE", default: "512", "requests that may wait for a slot before 503", programs: [.worker])
    public static let keepAlive = Setting(
        "CAKAP_KEEP_ALIVE", default: "5m", "idle time before a model is unloaded (-1: never)", programs: [.worker])
    public static let contextLength = Setting(
        "CAKAP_CONTEXT_LENGTH", default: "2048", "default num_ctx of a request", programs: [.worker])
    public static let numThreads = Setting(
        "CAKAP_NUM_THREADS", default: "all cores (cakap up: cores ÷ engines)", "CPU threads per engine (-t)",
        programs: [.worker, .up])
    public static let registry = Setting(
        "CAKAP_REGISTRY", default: "https://registry.ollama.ai", "registry for /api/pull", programs: [.worker])
    public static let pullHosts = Setting(
        "CAKAP_PULL_HOSTS", default: "(none)", "other registry hosts a pull may name, comma-separated (* for any)",
        programs: [.worker])
    public static let loadTimeout = Setting(
        "CAKAP_LOAD_TIMEOUT", default: "120s", "longest wait for a model to load (EFS across regions is slow)",
        programs: [.worker])
    public static let drainTimeout = Setting(
        "CAKAP_DRAIN_TIMEOUT", default: "30s", "longest wait for in-flight requests on SIGTERM", programs: [.worker])
    public static let maxBodyBytes = Setting(
        "CAKAP_MAX_BODY_BYTES", default: "8388608", "largest request body", programs: [.worker])
    public static let logPrompts = Setting(
        "CAKAP_LOG_PROMPTS", default: "0", "1: log each prompt sent to an engine (debugging templates)",
        programs: [.worker])
    public static let maxContextLength = Setting(
        "CAKAP_MAX_CONTEXT_LENGTH", default: "32768",
        "largest num_ctx a request may ask for (400 beyond); num_ctx is rounded up to a power of two ≥ 512",
        programs: [.worker])
    public static let maxEngines = Setting(
        "CAKAP_MAX_ENGINES", default: "4",
        "most llama-server processes per worker (the least recently used idle one stops; 503 when all are busy)",
        programs: [.worker])
    public static let pullModels = Setting(
        "CAKAP_PULL_MODELS", default: "(none)", "models /api/pull may fetch, comma-separated (* for any)",
        programs: [.worker, .up])
    public static let pullMaxBytes = Setting(
        "CAKAP_PULL_MAX_BYTES", default: "8589934592", "largest model /api/pull accepts", programs: [.worker])
    public static let logDirectory = Setting(
        "CAKAP_LOG_DIR", default: "<tmp>/cakap-logs", "where engine logs go", programs: [.worker])
    public static let corsOrigins = Setting(
        "CAKAP_CORS_ORIGINS", default: "(none)",
        "browser origins given CORS headers, comma-separated (* for any): API Gateway's proxy integrations pass "
            + "the backend's headers and add none; for `cakap up`, more origins its edge allows (also --cors-origin)",
        programs: [.worker, .conversations, .tutor, .up])

    // MARK: The Lambdas

    public static let runtimeAPI = Setting(
        "AWS_LAMBDA_RUNTIME_API", default: "(set by Lambda)", "host:port of the Lambda Runtime API",
        programs: [.lambda])
    public static let taskRoot = Setting(
        "LAMBDA_TASK_ROOT", default: "/var/task", "where Lambda unpacked the zip", programs: [.lambda])
    public static let function = Setting(
        "CAKAP_FUNCTION", default: "conversations",
        "which function the bootstrap serves: conversations, tutor or owner (migrations and the functions' role)",
        programs: [.lambda])
    public static let harper = Setting(
        "CAKAP_HARPER", default: "$LAMBDA_TASK_ROOT/harper-cli", "the harper-cli program", programs: [.tutor])
    public static let wordLevels = Setting(
        "CAKAP_WORD_LEVELS", default: "$LAMBDA_TASK_ROOT/word-levels.tsv", "the CEFR word list", programs: [.tutor])
    public static let llmURLs = Setting(
        "CAKAP_LLM_URLS", default: "(required)", "base URLs of the regions' balancers, tried in order",
        programs: [.tutor])
    public static let tutorModel = Setting(
        "CAKAP_TUTOR_MODEL", default: "gemma3:270m", "model for rewrites, advice and the score judgement",
        programs: [.tutor])
    public static let modelTimeout = Setting(
        "CAKAP_MODEL_TIMEOUT", default: "20",
        "seconds any tutor model call may take; the answer must beat API Gateway's 29-second limit",
        programs: [.tutor])
    public static let conversationsURL = Setting(
        "CAKAP_CONVERSATIONS_URL", default: "(none)", "the conversations API, when the tutor has no DB_HOST",
        programs: [.tutor])

    // MARK: Conversations and the database

    public static let embedURLs = Setting(
        "CAKAP_EMBED_URLS", default: "(none: no server-side vectors)", "base URLs serving /api/embed, comma-separated",
        programs: [.conversations])
    public static let embedModel = Setting(
        "CAKAP_EMBED_MODEL", default: "all-minilm", "embedding model (conversation vectors; the tutor's features)",
        programs: [.conversations, .tutor])
    public static let embedDimensions = Setting(
        "CAKAP_EMBED_DIMENSIONS", default: "the model's (all-minilm 384, nomic-embed-text 768)",
        "vector dimension the store checks and indexes, 1-2000", programs: [.conversations, .tutor])
    public static let ownerEmbedModels = Setting(
        "CAKAP_OWNER_EMBED_MODELS", default: "CAKAP_EMBED_MODEL",
        "embedding models of every function using the database (comma-separated): the owner run creates each one's vector index",
        programs: [.lambda])
    public static let databaseHost = Setting(
        "DB_HOST", default: "(none: in-memory store; cakap up starts its own)", "PostgreSQL host (R-FN-2)",
        programs: [.conversations, .tutor, .up])
    public static let databaseUser = Setting(
        "DB_USER", default: "(required with DB_HOST)", "PostgreSQL user", programs: [.conversations, .tutor])
    public static let databasePassword = Setting(
        "DB_PASSWORD", default: "(none)", "PostgreSQL password", programs: [.conversations, .tutor], secret: true)
    public static let databasePort = Setting(
        "DB_PORT", default: "5432", "PostgreSQL port", programs: [.conversations, .tutor])
    public static let databaseName = Setting(
        "DB_NAME", default: "postgres", "database name", programs: [.conversations, .tutor])
    public static let databaseTLSMode = Setting(
        "DB_SSLMODE", default: "prefer", "TLS: disable, prefer, require, verify-full",
        programs: [.conversations, .tutor])
    public static let databaseRootCertificate = Setting(
        "DB_SSLROOTCERT", default: "(system trust store)", "CA bundle for verify-full (the RDS bundle)",
        programs: [.conversations, .tutor])

    public static let databaseAppUser = Setting(
        "DB_APP_USER", default: "(none)",
        "least-privilege role the owner's run creates for the functions (their DB_USER); lowercase, digits, _",
        programs: [.conversations])
    public static let databaseAppPassword = Setting(
        "DB_APP_PASSWORD", default: "(none)", "that role's password (16+ characters; never logged)",
        programs: [.conversations], secret: true)

    // MARK: Deployment

    public static let alarmEmail = Setting(
        "CAKAP_ALARM_EMAIL", default: "(required by cakap aws deploy)",
        "who the CloudWatch alarms of both regions mail (an SNS e-mail subscription, confirmed once; R-OPS-4)",
        programs: [.aws])

    public static let rdsCABundle = Setting(
        "CAKAP_RDS_CA_BUNDLE", default: "(downloaded from CAKAP_RDS_CA_URL)",
        "PEM file the Lambda zips carry as global-bundle.pem (read by scripts/build-artefacts, which cakap aws deploy runs)",
        programs: [.aws], external: true)
    public static let rdsCAURL = Setting(
        "CAKAP_RDS_CA_URL", default: "https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem",
        "where scripts/build-artefacts downloads the RDS CA bundle when CAKAP_RDS_CA_BUNDLE is unset",
        programs: [.aws], external: true)

    /// The registry, in the order `cakap config` prints it.
    public static let all: [Setting] = [
        home, models, llamaServer, repository, logLevel, userHome, path, libraryPath,
        numParallel, maxQueue, keepAlive, contextLength, numThreads, registry, pullHosts, loadTimeout, drainTimeout,
        maxBodyBytes, logDirectory, corsOrigins, logPrompts, maxContextLength, maxEngines, pullModels, pullMaxBytes,
        runtimeAPI, taskRoot, function, harper, wordLevels, llmURLs, tutorModel, modelTimeout, conversationsURL,
        embedURLs, embedModel, embedDimensions, ownerEmbedModels, databaseHost, databaseUser, databasePassword,
        databasePort,
        databaseName, databaseTLSMode, databaseRootCertificate, databaseAppUser, databaseAppPassword, alarmEmail,
        rdsCABundle, rdsCAURL,
    ]

    /// The declared setting called `name`, if any.
    public static func named(_ name: String) -> Setting? { all.first { $0.name == name } }
}
