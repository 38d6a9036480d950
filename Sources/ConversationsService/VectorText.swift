/// pgvector's text form, `[1,2.5,-3]`: what we bind (cast with `::text::vector`) and read back
/// (`embedding::text`), since postgres-nio has no vector type. Floats print in their shortest
/// round-tripping form, so a vector survives the trip exactly.
enum VectorText {
    static func format(_ vector: [Float]) -> String {
        var text = "["
        text.reserveCapacity(vector.count * 12)
        for (index, value) in vector.enumerated() {
            if index > 0 { text += "," }
            text += value.description
        }
        return text + "]"
    }

    /// Nil for anything that is not pgvector's output form.
    static func parse(_ text: String) -> [Float]? {
        guard text.hasPrefix("["), text.hasSuffix("]") else { return nil }
        let inner = text.dropFirst().dropLast()
        if inner.isEmpty { return [] }
        var vector: [Float] = []
        for part in inner.split(separator: ",", omittingEmptySubsequences: false) {
            guard let value = Float(part) else { return nil }
            vector.append(value)
        }
        return vector
    }
}
