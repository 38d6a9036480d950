/// Pearson and Spearman correlation, for the evaluation of the scores.
public enum Correlation {
    /// Pearson's r over the pairs where both values are numbers; 0 when either side is constant.
    public static func pearson(_ x: [Double], _ y: [Double]) -> Double {
        let pairs = zip(x, y).filter { !$0.0.isNaN && !$0.1.isNaN }
        guard pairs.count > 1 else { return 0 }
        let n = Double(pairs.count)
        let meanX = pairs.map(\.0).reduce(0, +) / n
        let meanY = pairs.map(\.1).reduce(0, +) / n
        var covariance = 0.0
        var varianceX = 0.0
        var varianceY = 0.0
        for (a, b) in pairs {
            covariance += (a - meanX) * (b - meanY)
            varianceX += (a - meanX) * (a - meanX)
            varianceY += (b - meanY) * (b - meanY)
        }
        guard varianceX > 0, varianceY > 0 else { return 0 }
        return covariance / (varianceX.squareRoot() * varianceY.squareRoot())
    }

    /// Spearman's ρ: Pearson's r of the ranks (ties get their mean rank).
    public static func spearman(_ x: [Double], _ y: [Double]) -> Double {
        let pairs = zip(x, y).filter { !$0.0.isNaN && !$0.1.isNaN }
        return pearson(ranks(pairs.map(\.0)), ranks(pairs.map(\.1)))
    }

    static func ranks(_ values: [Double]) -> [Double] {
        let order = values.indices.sorted { values[$0] < values[$1] }
        var ranks = [Double](repeating: 0, count: values.count)
        var start = 0
        while start < order.count {
            var end = start
            while end + 1 < order.count, values[order[end + 1]] == values[order[start]] { end += 1 }
            let rank = Double(start + end) / 2 + 1
            for position in start...end { ranks[order[position]] = rank }
            start = end + 1
        }
        return ranks
    }
}
