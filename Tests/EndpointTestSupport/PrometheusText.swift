/// The value of one sample line `name{labels} value` in a Prometheus text page, nil when
/// the series is absent.
public func prometheusSample(_ page: String, _ series: String) -> String? {
    page.split(separator: "\n").first { $0.hasPrefix(series + " ") }.map { String($0.dropFirst(series.count + 1)) }
}
