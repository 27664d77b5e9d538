import Foundation
import PlatformWire
import TraceModel

/// What every endpoint of a session is asked to run, as `POST /api/sessions` gave it
/// and its rules passed (docs/platform.md, *Sessions*): a template or an analysis, the
/// tracer, a target, how long. Stored as the session's `spec` JSON.
struct SessionSpec: Codable, Sendable, Equatable {
    struct AnalysisChoice: Codable, Sendable, Equatable {
        var name: String
        /// A JSON object, passed to the endpoint's `/analysis/start` as given.
        var parameters: JSONValue
    }

    var template: TraceTemplate?
    var analysis: AnalysisChoice?
    var traceT: String
    /// The endpoint's TARGET shape, checked by the endpoint's own rules; nil: the host.
    var target: JSONValue?
    var lasting: Int
    var context: String

    static let lastingRange = 1...86400
    /// Context is the operator's note, shown back; 4 KiB holds a paragraph.
    static let maxContextBytes = 4096
    static let maxNameBytes = 128
    static let maxSelectorBytes = 1024

    /// The checked spec and the name and selector of a `POST /api/sessions` body; a 400
    /// naming the field otherwise (unknown keys are ignored, as the endpoint's API does).
    static func checked(_ body: [String: JSONValue]) throws(PlatformRefusal) -> (name: String, selector: String, spec: SessionSpec) {
        guard case .string(let name)? = body["name"], (1...maxNameBytes).contains(name.utf8.count),
            !name.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f })
        else { throw refusal("name: expected text of 1 to \(maxNameBytes) bytes without control characters") }
        var selector = ""
        if let value = body["selector"], value != .null {
            guard case .string(let text) = value, text.utf8.count <= maxSelectorBytes else {
                throw refusal("selector: expected text like role=db,zone=eu-1 of at most \(maxSelectorBytes) bytes")
            }
            do {
                selector = try LabelSelector(parsing: text).description
            } catch {
                throw refusal(error.description)
            }
        }
        let template = body["template"].flatMap { $0 == .null ? nil : $0 }
        let analysis = body["analysis"].flatMap { $0 == .null ? nil : $0 }
        guard (template == nil) != (analysis == nil) else { throw refusal("template, analysis: give exactly one of them") }
        var traceT = "BPF"
        if let value = body["traceT"], value != .null {
            guard case .string(let text) = value, TracerType(rawValue: text) != nil else {
                throw refusal("traceT: expected one of \(TracerType.namesForMessages)")
            }
            traceT = text
        }
        guard let lasting = body["lasting"]?.wholeNumber, lastingRange.contains(lasting) else {
            throw refusal("lasting: expected whole seconds from \(lastingRange.lowerBound) to \(lastingRange.upperBound)")
        }
        var context = ""
        if let value = body["context"], value != .null {
            guard case .string(let text) = value, text.utf8.count <= maxContextBytes else {
                throw refusal("context: expected text of at most \(maxContextBytes) bytes")
            }
            context = text
        }
        let target = try checkedTarget(body["target"])
        var spec = SessionSpec(template: nil, analysis: nil, traceT: traceT, target: target, lasting: lasting, context: context)
        if let template {
            spec.template = try checkedTemplate(template, traceT: traceT)
        } else if let analysis {
            guard traceT == TracerType.bpf.rawValue else { throw refusal("traceT: analyses run with BPF") }
            spec.analysis = try checkedAnalysis(analysis)
        }
        return (name, selector, spec)
    }

    /// The endpoint's rules of a template that need no file: the binary is on the
    /// endpoints' hosts (or in their targets), which check it when they store it.
    static func checkedTemplate(_ value: JSONValue, traceT: String) throws(PlatformRefusal) -> TraceTemplate {
        let template: TraceTemplate
        do {
            template = try JSONDecoder().decode(TraceTemplate.self, from: PlatformJSON.encoded(value))
        } catch {
            throw refusal("template: expected a TEMPLATE {\"process\", \"functions\", \"environment\", \"value\", \"options\", \"traceType\"}")
        }
        do {
            try TemplateValidator(maxFunctions: TemplateValidator.maxFunctionsLimit).validate(template, openingProcess: false)
        } catch {
            throw refusal("template.\(error.message)")
        }
        guard template.traceType.contains(traceT) else { throw refusal("traceT: \(traceT) is not in the template's traceType") }
        return template
    }

    /// An analysis of the catalogue with its parameters checked by their own rules.
    static func checkedAnalysis(_ value: JSONValue) throws(PlatformRefusal) -> AnalysisChoice {
        guard case .string(let name)? = value["name"] else { throw refusal("analysis.name: expected the name of an analysis (GET /analyses)") }
        var parameters = JSONValue.object([:])
        if let given = value["parameters"], given != .null {
            guard case .object = given else { throw refusal("analysis.parameters: expected an object") }
            parameters = given
        }
        do {
            let inputs = try JSONDecoder().decode([String: AnalysisParameterInput].self, from: PlatformJSON.encoded(parameters))
            _ = try AnalysisCatalogue.validated(name: name, parameters: inputs)
        } catch AnalysisRefusal.unknownAnalysis {
            throw refusal(
                "analysis.name: no analysis \(name.utf8.count <= 64 ? name : "of that name") (\(AnalysisCatalogue.names.joined(separator: ", ")))"
            )
        } catch let refusal as AnalysisRefusal {
            throw Self.refusal("analysis.\(refusal.message)")
        } catch {
            throw refusal("analysis.parameters: expected an object")
        }
        return AnalysisChoice(name: name, parameters: parameters)
    }

    /// TARGET as the endpoint's `/trace/start` takes it, checked by the same rules.
    static func checkedTarget(_ value: JSONValue?) throws(PlatformRefusal) -> JSONValue? {
        guard let value, value != .null else { return nil }
        do {
            let object = try JSONDecoder().decode(TargetObject.self, from: PlatformJSON.encoded(value))
            _ = try TargetRequest(checking: object)
        } catch let error as FieldError {
            throw refusal(error.message)
        } catch {
            throw refusal("target: expected a JSON object")
        }
        return value
    }

    static func refusal(_ message: String) -> PlatformRefusal { PlatformRefusal(.badRequest, message) }
}
