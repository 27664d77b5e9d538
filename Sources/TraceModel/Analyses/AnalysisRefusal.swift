/// Why an analysis start is refused before anything runs, in the API's words; the HTTP
/// layer maps `answer` to a status (`APIError`), as for `StartRefusal`.
public enum AnalysisRefusal: Error, Equatable, Sendable {
    /// No analysis of that name in the catalogue (404).
    case unknownAnalysis(name: String)
    /// A parameter (`parameters.<name>`, or `parameters` for an unknown name) or
    /// `lasting` breaks its rule (400 naming it).
    case invalidField(FieldError)
    /// The analysis exists but this host lacks what it needs (409, with the reason).
    case unavailable(name: String, reason: String)

    public var answer: RefusalAnswer {
        switch self {
        case .unknownAnalysis: .notFound
        case .invalidField: .badRequest
        case .unavailable: .conflict
        }
    }

    public var message: String {
        switch self {
        case .unknownAnalysis(let name):
            "analysis: no analysis \(quoted(name)) (GET /analyses lists them: \(AnalysisCatalogue.names.joined(separator: ", ")))"
        case .invalidField(let error):
            error.message
        case .unavailable(let name, let reason):
            "analysis: \(name) is not available on this host: \(reason)"
        }
    }
}
