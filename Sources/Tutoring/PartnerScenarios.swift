/// A conversation topic card (issue 17): a level, an opening question, and curated follow-up
/// questions the partner falls back on when the model's own question is missing or poor, so the
/// conversation keeps going even on a 135M model.
public struct PartnerScenario: Sendable, Equatable, Encodable {
    /// Stable id, sent back by the web app as `scenario`.
    public var id: String
    /// What the card says.
    public var title: String
    /// The band the card is written for.
    public var level: CEFRBand
    /// The partner's first message when the learner picks the card.
    public var opener: String
    /// Simple questions on the topic, asked in order when the model asks none.
    public var followUps: [String]

    /// The cards the web app offers, A1 to B2.
    public static let all: [PartnerScenario] = [
        PartnerScenario(
            id: "introductions", title: "Introduce yourself", level: .a2,
            opener: "Hi, I'm Cakap! What's your name, and where are you from?",
            followUps: [
                "What do you like about your city?", "Do you work or study?", "What languages do you speak?",
                "Why are you learning English?", "Who do you live with?",
            ]),
        PartnerScenario(
            id: "daily-routine", title: "Your daily routine", level: .a2,
            opener: "Let's talk about your day. What time do you usually get up?",
            followUps: [
                "What do you eat for breakfast?", "How do you get to work or school?",
                "What do you do in the evening?", "What is the busiest part of your day?",
                "What time do you go to bed?",
            ]),
        PartnerScenario(
            id: "food", title: "Food and cooking", level: .a2,
            opener: "I love talking about food! What is your favourite dish?",
            followUps: [
                "Can you cook it yourself?", "What did you eat yesterday?", "Do you like spicy food?",
                "What food should a visitor to your country try?", "Do you prefer eating at home or in a restaurant?",
            ]),
        PartnerScenario(
            id: "hobbies", title: "Hobbies and free time", level: .a2,
            opener: "What do you like to do in your free time?",
            followUps: [
                "How often do you do it?", "When did you start?", "Do you do it alone or with friends?",
                "Is there a new hobby you want to try?", "What did you do last weekend?",
            ]),
        PartnerScenario(
            id: "shopping", title: "Shopping", level: .a2,
            opener: "Do you like shopping? Where do you usually go?",
            followUps: [
                "What was the last thing you bought?", "Do you shop online?", "Do you like markets or malls more?",
                "What is expensive in your city?", "Do you compare prices before you buy?",
            ]),
        PartnerScenario(
            id: "work", title: "Work and study", level: .b1,
            opener: "Tell me about your work or your studies. What do you do?",
            followUps: [
                "What do you like most about it?", "What is difficult about it?", "What does a normal day look like?",
                "Do you work with many people?", "What would you like to do in five years?",
            ]),
        PartnerScenario(
            id: "travel", title: "Travel", level: .b1,
            opener: "Let's talk about travel. What is the best place you have visited?",
            followUps: [
                "Who did you go with?", "What did you do there?", "How did you get there?",
                "Where would you like to go next?", "Do you prefer the beach or the mountains?",
            ]),
        PartnerScenario(
            id: "plans", title: "Plans and the future", level: .b1,
            opener: "What are your plans for this weekend?",
            followUps: [
                "What are you looking forward to this year?", "Do you have a big goal for the future?",
                "What would you do with a free month?", "Where do you see yourself in ten years?",
                "What new skill would you like to learn?",
            ]),
        PartnerScenario(
            id: "opinions", title: "Technology and daily life", level: .b2,
            opener: "How has technology changed the way you live or work?",
            followUps: [
                "Which app could you not live without?", "Do you think people use their phones too much?",
                "What are the good and bad sides of working from home?", "Should children learn to code at school?",
                "What invention would you like to see in the future?",
            ]),
    ]

    /// Free conversation: the follow-ups when no card was picked.
    public static let freeTalk = PartnerScenario(
        id: "free", title: "Free conversation", level: .b1, opener: "Hi, I'm Cakap! What would you like to talk about?",
        followUps: [
            "What did you do today?", "What do you like to do at the weekend?", "Tell me more about that.",
            "How did that make you feel?", "What happened next?", "What do you think about it?",
        ])

    /// The card with `id`, if any.
    public static func named(_ id: String) -> PartnerScenario? {
        all.first { $0.id == id } ?? (id == freeTalk.id ? freeTalk : nil)
    }

    /// The next follow-up the partner has not asked yet in `conversation` (the first again when
    /// all were asked).
    public func nextFollowUp(after conversation: [Turn]) -> String {
        let asked = Set(conversation.filter { $0.role == "assistant" }.map(\.content))
        let remaining = followUps.filter { question in !asked.contains { $0.contains(question) } }
        return remaining.first ?? followUps[conversation.filter { $0.role == "assistant" }.count % followUps.count]
    }
}
