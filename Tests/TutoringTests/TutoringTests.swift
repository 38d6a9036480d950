import Foundation
import Testing

@testable import Tutoring

/// GLEU, Harper's suggestions as edits, and edits applied to text.
@Suite struct TutoringTests {
    static let source = "yesterday i go to the big market with my mother and we buy many fruit ."
    static let reference = "yesterday I went to the big market with my mother and we bought a lot of fruit ."

    @Test func gleuMatchesAnIndependentImplementationOfJFLEGsDefinition() {
        // 0.556600 from a separate Python re-implementation of JFLEG's gleu.py (one reference, so no draw).
        let hypothesis = "yesterday i went to the big market with my mother and we bought many fruit ."
        let score = GLEU.score(sources: [Self.source], references: [[Self.reference]], hypotheses: [hypothesis])
        #expect(abs(score - 0.556600) < 1e-6)
        // Keeping the source unchanged scores lower than a correction, and a perfect one scores 1.
        #expect(GLEU.score(sources: [Self.source], references: [[Self.reference]], hypotheses: [Self.source]) < score)
        #expect(
            abs(GLEU.score(sources: [Self.source], references: [[Self.reference]], hypotheses: [Self.reference]) - 1)
                < 1e-9)
    }

    @Test func harperSuggestionsBecomeEdits() throws {
        func lint(_ suggestion: String, start: Int, end: Int, kind: String = "Grammar") -> HarperLint {
            HarperLint(
                rule: "R", kind: kind, span: .init(charStart: start, charEnd: end), message: "m",
                suggestions: [suggestion], matchedText: "")
        }
        #expect(
            lint("Replace with: “bought”", start: 3, end: 8).firstEdit
                == TextEdit(start: 3, end: 8, replacement: "bought"))
        #expect(lint("Remove error", start: 3, end: 4).firstEdit == TextEdit(start: 3, end: 4, replacement: ""))
        #expect(lint("Insert “,”", start: 0, end: 7).firstEdit == TextEdit(start: 7, end: 7, replacement: ","))
        #expect(lint("Something new", start: 0, end: 1).firstEdit == nil)
        let text = "I buyed 🍎 and goes home"
        let corrected = HarperCorrector.correct(
            text,
            lints: [
                lint("Replace with: “bought”", start: 2, end: 7),
                lint("Replace with: “go”", start: 14, end: 18),
                lint("Remove error", start: 0, end: 1, kind: "Formatting"),  // a layout lint: skipped
            ])
        #expect(corrected == "I bought 🍎 and go home")  // offsets are Unicode scalars: the emoji is one
    }

    @Test func overlappingEditsKeepTheFirst() {
        let edits = [
            TextEdit(start: 0, end: 5, replacement: "Hello"), TextEdit(start: 3, end: 8, replacement: "X"),
            TextEdit(start: 8, end: 8, replacement: "!"), TextEdit(start: 99, end: 100, replacement: "out of range"),
        ]
        #expect(TextEdit.apply(edits, to: "hallo wo") == "Hello wo!")
    }
}
