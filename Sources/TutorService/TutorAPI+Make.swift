import AsyncHTTPClient
import NIOCore
import Tutoring

extension TutorAPI {
    /// The tutor with its real parts: Harper, the models through the balancers (`llm`, tried in
    /// order), and for memory the conversations API at `conversations` or the given `history`. One builder for
    /// `cakap tutor` and the tutor Lambda.
    /// - Parameter modelTimeout: the longest any model call may take (`CAKAP_MODEL_TIMEOUT`, default
    ///   20 s): behind API Gateway the whole answer must come within its 29-second integration limit,
    ///   so a slow model call ends and the feedback is given without it.
    /// - Parameter modelUse: what the feedback asks the model for; nothing by default (issue 18:
    ///   gemma3:270m's rewrite and advice did not earn their seconds).
    /// - Parameter scoredEdits: the language model's article, comma and preposition edits (default none).
    public static func make(
        harper: String, wordLevels: WordLevels, llm: [String], model: String, embedModel: String,
        conversations: String?, history: (any MistakeHistory)? = nil, httpClient: HTTPClient,
        modelTimeout: Duration = .seconds(20), modelUse: FeedbackEngine.ModelUse = [],
        scoredEdits: ScoredEdits? = nil
    ) -> TutorAPI {
        // One batcher for feedback and scores: concurrent requests share Harper's runs.
        let checker = HarperBatcher(process: HarperProcess(executable: harper))
        let timeout = TimeAmount.milliseconds(Int64(modelTimeout / .milliseconds(1)))
        return TutorAPI(
            feedback: FeedbackEngine(
                checker: checker,
                model: OllamaTutorModel(baseURLs: llm, model: model, httpClient: httpClient, timeout: timeout),
                modelDeadline: modelTimeout, wordLevels: wordLevels, modelUse: llm.isEmpty ? [] : modelUse,
                scoredEdits: scoredEdits),
            scores: ScoreEngine(
                checker: checker,
                judge: ScoreCalibration.judgeWeight > 0
                    ? OllamaScoreJudge(baseURLs: llm, model: model, httpClient: httpClient, timeout: timeout) : nil,
                embedder: llm.isEmpty
                    ? nil : OllamaTextEmbedder(baseURLs: llm, model: embedModel, httpClient: httpClient),
                wordLevels: wordLevels),
            wordLevels: wordLevels,
            history: history ?? conversations.map { ConversationsMistakeHistory(baseURL: $0, httpClient: httpClient) })
    }
}
