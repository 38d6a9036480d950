/// Cuts a Go template into text and action items, applying `{{-`/`-}}` trimming, and an action's
/// inside into tokens.
enum TemplateLexer {
    enum Item: Equatable {
        case text(String)
        case action([Token])
    }

    enum Token: Equatable {
        /// A field (`.Role`), variable (`$i`, `$.System`), keyword, function name or number.
        case word(String)
        /// A quoted or raw string literal, already unquoted.
        case string(String)
        case open, close, pipe, declare, assign, comma
    }

    static func items(of source: String) throws -> [Item] {
        var items: [Item] = []
        var rest = Substring(source)
        var trimNextText = false
        while !rest.isEmpty {
            guard let open = rest.range(of: "{{") else {
                items.append(.text(trimNextText ? String(rest.trimmingLeadingWhitespace) : String(rest)))
                break
            }
            var text = rest[..<open.lowerBound]
            if trimNextText { text = text.trimmingLeadingWhitespace }
            var inside = rest[open.upperBound...]
            if inside.hasPrefix("- ") || inside.hasPrefix("-\n") || inside.hasPrefix("-\t") {
                text = text.trimmingTrailingWhitespace
                inside = inside.dropFirst()
            }
            if !text.isEmpty { items.append(.text(String(text))) }
            guard let close = inside.range(of: "}}") else {
                throw TemplateError(description: "an action opened with {{ is never closed")
            }
            var body = inside[..<close.lowerBound]
            trimNextText = false
            if body.hasSuffix(" -") || body.hasSuffix("\n-") || body.hasSuffix("\t-") {
                trimNextText = true
                body = body.dropLast()
            }
            rest = inside[close.upperBound...]
            let trimmed = body.trimmingLeadingWhitespace.trimmingTrailingWhitespace
            if trimmed.hasPrefix("/*") {
                guard trimmed.hasSuffix("*/") else { throw TemplateError(description: "a comment is not closed by */") }
                continue
            }
            items.append(.action(try tokens(of: trimmed)))
        }
        return items
    }

    static func tokens(of action: Substring) throws -> [Token] {
        var tokens: [Token] = []
        var index = action.startIndex
        while index < action.endIndex {
            let character = action[index]
            switch character {
            case _ where templateWhitespace.contains(character): index = action.index(after: index)
            case "(": tokens.append(.open); index = action.index(after: index)
            case ")": tokens.append(.close); index = action.index(after: index)
            case "|": tokens.append(.pipe); index = action.index(after: index)
            case ",": tokens.append(.comma); index = action.index(after: index)
            case "=": tokens.append(.assign); index = action.index(after: index)
            case ":":
                let next = action.index(after: index)
                guard next < action.endIndex, action[next] == "=" else {
                    throw TemplateError(description: "unexpected ':' in {{\(action)}}")
                }
                tokens.append(.declare)
                index = action.index(after: next)
            case "\"", "`":
                let (literal, end) = try stringLiteral(in: action, from: index)
                tokens.append(.string(literal))
                index = end
            default:
                var end = index
                while end < action.endIndex, !templateWhitespace.contains(action[end]),
                    !"()|,=:\"`".contains(action[end])
                {
                    end = action.index(after: end)
                }
                tokens.append(.word(String(action[index..<end])))
                index = end
            }
        }
        return tokens
    }

    /// A `"…"` literal (with Go's common escapes) or a raw `` `…` `` literal, and the index after it.
    static func stringLiteral(in text: Substring, from start: Substring.Index) throws -> (String, Substring.Index) {
        let quote = text[start]
        var index = text.index(after: start)
        var value = ""
        while index < text.endIndex {
            let character = text[index]
            if character == quote { return (value, text.index(after: index)) }
            if character == "\\" && quote == "\"" {
                index = text.index(after: index)
                guard index < text.endIndex else { break }
                let escapes: [Character: String] = ["n": "\n", "t": "\t", "r": "\r", "\"": "\"", "\\": "\\"]
                guard let escaped = escapes[text[index]] else {
                    throw TemplateError(description: "unsupported escape \\\(text[index]) in a string")
                }
                value += escaped
            } else {
                value.append(character)
            }
            index = text.index(after: index)
        }
        throw TemplateError(description: "a string literal is not closed")
    }
}

/// Go's trim markers remove spaces, tabs, carriage returns and newlines (a Character may be "\r\n").
private let templateWhitespace: Set<Character> = [" ", "\t", "\r", "\n", "\r\n"]

extension Substring {
    var trimmingLeadingWhitespace: Substring { drop { templateWhitespace.contains($0) } }
    var trimmingTrailingWhitespace: Substring {
        var result = self
        while let last = result.last, templateWhitespace.contains(last) { result = result.dropLast() }
        return result
    }
}
