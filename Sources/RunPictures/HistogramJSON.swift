/// `GET /api/runs/{id}/histograms`: `{"intervals": [{"marker": "interval" | "end" | null,
/// "nsecs": N | null, "histograms": [{"map", "key" (null without keys), "buckets":
/// [{"min", "max", "count"}]}]}], "truncated": bool}`, bounds and counts as bpftrace
/// printed them (a bound an open-ended bucket lacks is null).
public enum HistogramJSON {
    public static func text(of series: HistogramSeries) -> String {
        var out = "{\"intervals\": ["
        for (index, interval) in series.intervals.enumerated() {
            if index > 0 { out += ", " }
            out += "{\"marker\": \(string(interval.marker)), \"nsecs\": \(interval.nsecs.map(String.init) ?? "null"), \"histograms\": ["
            for (number, histogram) in interval.histograms.enumerated() {
                if number > 0 { out += ", " }
                out += "{\"map\": \(string(histogram.map)), \"key\": \(string(histogram.key)), \"buckets\": ["
                out += histogram.buckets.map { "{\"min\": \($0.min ?? "null"), \"max\": \($0.max ?? "null"), \"count\": \($0.count)}" }
                    .joined(separator: ", ")
                out += "]}"
            }
            out += "]}"
        }
        return out + "], \"truncated\": \(series.truncated)}"
    }

    /// A JSON string (or null), escaped as RFC 8259 requires.
    static func string(_ text: String?) -> String {
        guard let text else { return "null" }
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
