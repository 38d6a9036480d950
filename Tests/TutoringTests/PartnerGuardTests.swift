import Foundation
import ServiceShell
import Testing

@testable import Tutoring

/// The chat partner's guard (issue 17, R-APP-1) on replies a 135M model really wrote (from the
/// issue's own transcripts): what the learner reads is short, English, one question at most,
/// never the learner's voice.
@Suite struct PartnerGuardTests {
    static let english = """
        a about and are be best can cook day did do dish does eat favourite food for from fun good great have \
        how i in is it know like love lovely many me my name nice of on play really rice say sound sounds that \
        the there this to today too very what where with you your book books read reading weekend market fried \
        went yesterday go friend friends football watch city live bandung tell more place
        """
    static let levels = WordLevels(
        levels: Dictionary(uniqueKeysWithValues: english.split(separator: " ").map { (String($0), 1.0) }))
    static let conversation = [
        Turn(role: "assistant", content: "What is your favourite food?"),
        Turn(role: "user", content: "My name is Budi. I live in Bandung, I like nasi goreng very much."),
    ]

    func clean(_ reply: String, scenario: String? = "food", indonesian: Bool = false) -> PartnerGuard.Result {
        PartnerGuard.clean(
            reply, conversation: Self.conversation, scenario: scenario.flatMap(PartnerScenario.named),
            wordLevels: Self.levels, indonesian: indonesian)
    }

    @Test func runawayRepetitionIsCut() {
        let result = clean("That sounds good! I like to play with Max, Max, Max, Max, Max, Max, Max, Max.")
        #expect(!result.reply.contains("Max, Max, Max"))
        #expect(result.reply.hasPrefix("That sounds good!"))
        #expect(result.reply.hasSuffix("?"))
    }

    @Test func aLeakedTurnIsCutAtTheTemplateToken() {
        let result = clean("Nice! Where do you eat it?<|im_end|>\n<|im_start|>student\nI eat it at home.")
        #expect(result.reply == "Nice! Where do you eat it?")
        let labelled = clean("Fried rice is great. What do you cook?\nUser: I cook rice.")
        #expect(labelled.reply == "Fried rice is great. What do you cook?")
    }

    @Test func madeUpWordsAndTheLearnersNameAreDropped() {
        let result = clean("I'm Budi, your lovely name. Kalau itu Sekeraja Persib! Fried rice is really good.")
        #expect(!result.reply.contains("Budi"))
        #expect(!result.reply.contains("Sekeraja"))
        #expect(result.reply.hasPrefix("Fried rice is really good."))
        #expect(result.reply.hasSuffix("?"))  // the food card's follow-up
        #expect(PartnerScenario.named("food")!.followUps.contains { result.reply.hasSuffix($0) })
    }

    /// Seen in the full `cakap eval partner` run: "Hello, my name's Budi!" passed as no claim.
    @Test func aContractedNameClaimIsAClaim() {
        #expect(PartnerGuard.claimsIdentity("Hello, my name's Budi!", learner: []))
        #expect(PartnerGuard.claimsIdentity("My name’s Budi.", learner: []))
        #expect(!PartnerGuard.claimsIdentity("My name's Cakap.", learner: []))
    }

    /// Seen in the full `cakap eval partner` run: 44 kept words plus the added follow-up question
    /// gave a reply of 52 words.
    @Test func theAddedQuestionStaysWithinTheWordCap() {
        let long =
            "I really love to cook fried rice with my friends in the city on the weekend and it is very good fun "
            + "too. My friends from Bandung like to read books about food and went to the market yesterday to "
            + "watch football with me."
        let result = clean(long)
        #expect(result.reply.split(separator: " ").count <= PartnerGuard.maxWords, "\(result.reply)")
        #expect(result.reply.hasSuffix("?"))
    }

    @Test func wordsTheLearnerUsedAreNotForeign() {
        #expect(clean("I love nasi goreng too! Do you cook it?").reply == "I love nasi goreng too! Do you cook it?")
    }

    /// `cakap eval partner`: the learner wrote "saya biasanya …" in an earlier turn and the reply
    /// echoed it back; the learner's own words were all exempt from the English check.
    @Test func echoingTheLearnersIndonesianIsStillDropped() {
        let conversation = [
            Turn(role: "user", content: "Saya biasanya makan nasi goreng with my family."),
            Turn(role: "assistant", content: "That sounds tasty. Who cooks at home?"),
            Turn(role: "user", content: "My mother cooks every day."),
        ]
        let result = PartnerGuard.clean(
            "Saya biasanya makan nasi goreng too. Your mother is a good cook!", conversation: conversation,
            scenario: nil, wordLevels: Self.levels, indonesian: false)
        #expect(!result.reply.lowercased().contains("saya"), "\(result.reply)")
        #expect(result.reply.contains("Your mother is a good cook!"))
    }

    @Test func atMostThreeSentencesAndOneQuestion() {
        let result = clean(
            "I love food. Rice is nice. I cook rice. I eat rice today. What do you cook? Where do you eat?")
        #expect(result.reply.split(separator: "?").count <= 2)
        #expect(PartnerGuard.sentences(of: result.reply).count <= 3)
        #expect(result.reply.split(separator: " ").count <= 50)
    }

    @Test func indonesianGetsTheGentleSwitchToEnglish() {
        let result = clean("Saya juga suka nasi goreng", indonesian: true)
        #expect(result.reply.contains("Let's chat in English"))
        #expect(result.reply.hasSuffix("?"))
    }

    @Test func anEmptyReplyStillKeepsTheConversationGoing() {
        let result = clean("<|im_end|>", scenario: nil)
        #expect(result.reply.hasSuffix("?"))
        #expect(PartnerGuard.sentences(of: result.reply).count == 2)
    }

    @Test func everyScenarioHasAnOpenerAndFollowUps() {
        #expect(PartnerScenario.all.count >= 8)
        for card in PartnerScenario.all {
            #expect(card.opener.hasSuffix("?") && card.followUps.count >= 5, "\(card.id)")
            #expect(card.followUps.allSatisfy { $0.hasSuffix("?") || $0.hasSuffix(".") }, "\(card.id)")
        }
        let levels = Set(PartnerScenario.all.map(\.level))
        #expect(levels.contains(.a2) && levels.contains(.b1) && levels.contains(.b2))
    }

    @Test func theNextFollowUpIsOneNotAskedYet() {
        let card = PartnerScenario.named("travel")!
        let asked = [Turn(role: "assistant", content: "Cool. \(card.followUps[0])")]
        #expect(card.nextFollowUp(after: asked) == card.followUps[1])
    }
}

/// `POST /tutor/partner` with a topic card and a reply to guard, as the web app sends them.
@Suite struct PartnerRouteTests {
    func call(_ body: String) async -> (Int, [String: Any]) {
        let api = ScoresAndPartnerTests().api()
        let response = await api.handle(
            .init(method: "POST", path: "/tutor/partner", body: Array(body.utf8), caller: "alice", requestId: "t"))
        return (
            response.status, (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any] ?? [:]
        )
    }

    @Test func thePlanCarriesSamplingCardsAndTheGuardedReply() async {
        let (status, plan) = await call(
            #"{"conversation":[{"role":"user","content":"I have two cat"}],"scenario":"food","#
                + #""reply":"I have two cat. I have two cat. Max, Max, Max, Max.<|im_end|>user: hi"}"#)
        #expect(status == 200)
        let options = plan["options"] as? [String: Any]
        #expect(options?["num_predict"] as? Int == 64 && (options?["stop"] as? [String])?.contains("\nUser:") == true)
        #expect((plan["scenarios"] as? [[String: Any]])?.count == PartnerScenario.all.count)
        #expect(plan["scenario"] as? String == "food")
        #expect((plan["messages"] as? [[String: Any]])?.first?["content"] as? String ?? "" ~= "food and cooking")
        let reply = plan["reply"] as? String ?? ""
        // The model repeated the learner's own words as its own: dropped (never speak as the learner).
        #expect(reply == "That sounds interesting. Can you cook it yourself?", "\(plan)")
        #expect(!(plan["guarded"] as? [String] ?? []).isEmpty)
        let (refused, error) = await call(#"{"conversation":[],"scenario":"space"}"#)
        #expect(refused == 400 && (error["error"] as? String)?.contains("\"scenario\" must be one of") == true)
    }
}

private func ~= (text: String, fragment: String) -> Bool { text.contains(fragment) }
