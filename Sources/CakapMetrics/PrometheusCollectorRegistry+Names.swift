import Prometheus

extension PrometheusCollectorRegistry {
    /// A counter named `prefix_unit`: the registry takes the unit as a separate part of the name.
    public func counter(_ name: String, labels: [(String, String)], help: String) -> Counter {
        makeCounter(descriptor: Self.descriptor(name, help), labels: labels)
    }

    /// A gauge named `prefix_unit`.
    public func gauge(_ name: String, labels: [(String, String)], help: String) -> Gauge {
        makeGauge(descriptor: Self.descriptor(name, help), labels: labels)
    }

    /// `cakap_worker_requests_total` → metric `cakap_worker_requests`, unit `total`.
    public static func descriptor(_ name: String, _ help: String) -> MetricNameDescriptor {
        let split = name.lastIndex(of: "_") ?? name.endIndex
        return MetricNameDescriptor(
            metricName: String(name[..<split]), unitName: String(name[split...].dropFirst()), helpText: help)
    }
}
