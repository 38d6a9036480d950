import ArgumentParser
import Deployment
import Foundation

extension AWS {
    /// `cakap aws cost`: the monthly estimate, with the price table's source and date.
    struct Cost: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Monthly cost estimate of what the templates deploy (prices: infra/prices.json).")

        @Flag(help: "Machine-readable output.") var json = false

        func run() async throws {
            let estimate: CostEstimate
            do {
                estimate = try CostEstimate.load(
                    model: try Repository.path("infra/cost-model.json"),
                    prices: try Repository.path("infra/prices.json"))
            } catch let error as DeploymentError {
                throw ValidationError(error.description)
            }
            let regions = Array(Set(estimate.lines.map(\.region))).sorted()
            if json {
                let document: [String: Any] = [
                    "currency": estimate.currency, "source": estimate.source, "recorded": estimate.recorded,
                    "assumptions": estimate.assumptions, "monthlyTotal": Self.round(estimate.monthlyTotal),
                    "hourlyRunningCost": Self.round(estimate.hourlyRunningCost),
                    "regions": Dictionary(
                        uniqueKeysWithValues: regions.map { ($0, Self.round(estimate.monthly(in: $0))) }),
                    "lines": estimate.lines.map {
                        [
                            "item": $0.item, "region": $0.region, "quantity": $0.quantity, "per": $0.per,
                            "unitPrice": $0.unitPrice, "monthly": Self.round($0.monthly),
                        ] as [String: Any]
                    },
                ]
                let data = try JSONSerialization.data(
                    withJSONObject: document, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
                print(String(decoding: data, as: UTF8.self))
                return
            }
            for region in regions {
                print("\(region)")
                for line in estimate.lines where line.region == region {
                    let quantity =
                        line.per == "hour"
                        ? "\(Self.number(line.quantity)) x \(Int(estimate.hoursPerMonth)) h"
                        : Self.number(line.quantity)
                    print(
                        "  " + line.item.padding(toLength: 48, withPad: " ", startingAt: 0)
                            + quantity.padding(toLength: 16, withPad: " ", startingAt: 0)
                            + String(format: "@ %-11.7g %10.2f", line.unitPrice, line.monthly))
                }
                print(
                    String(format: "  %@ %@ per month: %.2f", region, estimate.currency, estimate.monthly(in: region)))
            }
            print(String(format: "total per month: %.2f %@", estimate.monthlyTotal, estimate.currency))
            print(
                String(format: "always-on resources per hour: %.4f %@", estimate.hourlyRunningCost, estimate.currency))
            print("assumptions: \(estimate.assumptions)")
            print("prices: \(estimate.source) (recorded \(estimate.recorded))")
        }

        static func round(_ value: Double) -> Double { (value * 100).rounded() / 100 }

        static func number(_ value: Double) -> String {
            value == value.rounded() ? String(Int(value)) : String(value)
        }
    }
}
