import Foundation

/// A monthly estimate of what the templates deploy: `infra/cost-model.json` (quantities, checked
/// against the templates by tests/infra/test_cost_model.py) priced with `infra/prices.json`.
public struct CostEstimate: Sendable {
    /// One priced line.
    public struct Line: Sendable, Equatable {
        public var item: String
        public var region: String
        public var quantity: Double
        /// `hour` (running all month) or `month`.
        public var per: String
        public var unitPrice: Double
        public var monthly: Double
    }

    public var lines: [Line]
    public var currency: String
    public var source: String
    public var recorded: String
    public var assumptions: String
    public var hoursPerMonth: Double

    /// The whole estimate per month.
    public var monthlyTotal: Double { lines.map(\.monthly).reduce(0, +) }

    /// Per region, per month.
    public func monthly(in region: String) -> Double {
        lines.filter { $0.region == region }.map(\.monthly).reduce(0, +)
    }

    /// What the always-on resources cost per hour (the figure to watch on a lab budget).
    public var hourlyRunningCost: Double {
        lines.filter { $0.per == "hour" }.map { $0.quantity * $0.unitPrice }.reduce(0, +)
    }

    struct ModelFile: Decodable {
        struct Item: Decodable {
            var item: String
            var region: String
            var price: String
            var quantity: Double
            var per: String
        }
        var assumptions: String
        var items: [Item]
    }

    struct PriceFile: Decodable {
        var source: String
        var recorded: String
        var currency: String
        var hoursPerMonth: Double
        var prices: [String: [String: Double]]
    }

    /// Prices the model; a missing price or an unknown period is an error naming the line.
    public static func load(model modelPath: String, prices pricesPath: String) throws -> CostEstimate {
        let model: ModelFile = try decode(modelPath)
        let prices: PriceFile = try decode(pricesPath)
        let lines = try model.items.map { item -> Line in
            guard let price = prices.prices[item.price]?[item.region] else {
                throw DeploymentError(description: "no price \"\(item.price)\" for \(item.region) in \(pricesPath)")
            }
            let months: Double
            switch item.per {
            case "hour": months = prices.hoursPerMonth
            case "month": months = 1
            default: throw DeploymentError(description: "\"\(item.item)\": per must be hour or month, not \(item.per)")
            }
            return Line(
                item: item.item, region: item.region, quantity: item.quantity, per: item.per, unitPrice: price,
                monthly: item.quantity * price * months)
        }
        return CostEstimate(
            lines: lines, currency: prices.currency, source: prices.source, recorded: prices.recorded,
            assumptions: model.assumptions, hoursPerMonth: prices.hoursPerMonth)
    }

    static func decode<T: Decodable>(_ path: String) throws -> T {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DeploymentError(description: "cannot read \(path)")
        }
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch {
            throw DeploymentError(description: "\(path) is not valid: \(error)")
        }
    }
}
