import Foundation

// libFuzzer harness over what a request body goes through before anything runs: JSON
// decoding of every body the API takes, the rules of each, for an accepted template its
// tracer programs, argv and environment, and for an accepted analysis start its program.
// Built by `scripts/fuzz.sh` with `swiftc -sanitize=fuzzer,address` together with the
// whole TraceModel target (one module, so no package dependency is rebuilt with
// instrumentation). A property that fails is a crash, which libFuzzer saves.

@_cdecl("LLVMFuzzerTestOneInput")
public func lambdaFuzzOneInput(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    RequestFuzzing.check(Data(bytes: start, count: count))
    return 0
}

enum RequestFuzzing {
    /// The defaults of `max-functions-per-template` and `max-lasting`.
    static let validator = TemplateValidator(maxFunctions: 128)
    static let maxLastingSeconds = 86400
    /// A 400 answer is one sentence; values are quoted and cut short inside it.
    static let maxMessageBytes = 1024

    static func check(_ body: Data) {
        checkNoticeScanner(body)
        if let template: TraceTemplate = decode(body) { checkTemplate(template) }
        if let start: StartRequest = decode(body) { checkStart(start) }
        if let remove: RemoveRequest = decode(body) { checkRemove(remove) }
        if let _: KillRequest = decode(body) {}
        if let analysis: AnalysisStartRequest = decode(body) { checkAnalysisStart(analysis) }
    }

    /// The same bytes as a tracer's output (a traced process shapes part of it): read
    /// whole and read cut at a point the bytes choose, the notices found must be the same,
    /// and the events reported must add up to the total.
    static func checkNoticeScanner(_ output: Data) {
        let bytes = Array(output)
        var whole = TracerNoticeScanner()
        let reported = bytes.withUnsafeBytes { whole.scan($0) }
        guard reported == whole.eventsLost, reported >= 0 else { propertyFailed("a whole scan reported \(reported) of \(whole.eventsLost)") }
        let cut = bytes.isEmpty ? 0 : Int(bytes[0]) % (bytes.count + 1)
        var split = TracerNoticeScanner()
        var splitReported: Int64 = 0
        for part in [bytes[..<cut], bytes[cut...]] {
            splitReported = TracerNoticeScanner.saturating(splitReported, Array(part).withUnsafeBytes { split.scan($0) })
        }
        guard split.eventsLost == whole.eventsLost, split.probesAttached == whole.probesAttached, splitReported == reported else {
            propertyFailed(
                "cut at \(cut): \(split.eventsLost)/\(String(describing: split.probesAttached)) against \(whole.eventsLost)/\(String(describing: whole.probesAttached))"
            )
        }
    }

    /// Decodes as the routes do; a refusal must be a sentence a client can be shown.
    static func decode<T: Decodable>(_ body: Data) -> T? {
        do {
            return try JSONDecoder().decode(T.self, from: body)
        } catch let error as DecodingError {
            requireSafe(DecodingErrorDescription.sentence(for: error), "decoding \(T.self)")
            return nil
        } catch {
            propertyFailed("decoding \(T.self) threw something other than a DecodingError: \(error)")
        }
    }

    static func checkTemplate(_ template: TraceTemplate) {
        do {
            try validator.validate(template)
        } catch {
            requireSafe(error.message, "template refusal")
            return
        }
        let violations = AcceptedTemplateInvariants.violations(of: template)
        guard violations.isEmpty else { propertyFailed("accepted template \(template): \(violations)") }
    }

    static func checkStart(_ request: StartRequest) {
        do {
            let checked = try request.checked(maxLastingSeconds: maxLastingSeconds, maxEventsPerSecond: 100_000)
            guard checked.tracer.rawValue == request.traceT, (1...maxLastingSeconds).contains(checked.lastingSeconds),
                Int64(checked.lastingSeconds) == request.lasting, checked.templateId == request.traceId,
                (1...100_000).contains(checked.maxEventsPerSecond), request.maxEventsPerSecond.map { Int64(checked.maxEventsPerSecond) == $0 } ?? true
            else { propertyFailed("start request \(request) accepted as \(checked)") }
            guard (checked.target == nil) == (request.target == nil) else {
                propertyFailed("start request \(request): target \(String(describing: checked.target))")
            }
            if let target = checked.target { checkTarget(target) }
        } catch {
            requireSafe(error.message, "start refusal")
        }
    }

    /// An accepted target holds only what its rules let through: its values reach run
    /// views, refusals and the program's comments of what was asked.
    static func checkTarget(_ target: TargetRequest) {
        func safe(_ text: String, _ extra: String) -> Bool {
            text.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || extra.unicodeScalars.contains($0)) }
        }
        switch target {
        case .pid(let pid):
            guard pid >= 1 else { propertyFailed("target pid \(pid) accepted") }
        case .container(let id):
            guard (12...64).contains(id.utf8.count), safe(id, ""), id == id.lowercased() else { propertyFailed("target container \(id) accepted") }
        case .pod(let pod, let namespace, let container):
            guard pod != nil || namespace != nil else { propertyFailed("a pod target with neither pod nor namespace accepted") }
            for glob in [pod, namespace, container].compactMap({ $0 })
            where !(1...253).contains(glob.pattern.utf8.count) || !safe(glob.pattern, ".-_*?") {
                propertyFailed("target glob \(glob.pattern.debugDescription) accepted")
            }
        case .cgroup(let path):
            let components = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
            guard path.hasPrefix("/"), path.utf8.count <= 4096, safe(path, "/._-@:+=,\\"),
                path == "/" || !components.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." })
            else { propertyFailed("target cgroup \(path.debugDescription) accepted") }
        }
        requireSafe(target.description, "target description")
    }

    static func checkRemove(_ request: RemoveRequest) {
        do {
            let checked = try request.checked()
            guard checked.tracer.rawValue == request.removeType, checked.templateId >= 1, checked.templateId == request.removeId
            else { propertyFailed("remove request \(request) accepted as \(checked)") }
        } catch {
            requireSafe(error.message, "remove refusal")
        }
    }

    /// An accepted analysis start: its values round-trip through the views' `parameters`
    /// object, and its program keeps the guarantees (ready first, the lasting bound, END
    /// last) with no request text in it but checked names.
    static func checkAnalysisStart(_ request: AnalysisStartRequest) {
        let checked: AnalysisStartRequest.Checked
        do {
            checked = try request.checked(maxLastingSeconds: maxLastingSeconds, maxEventsPerSecond: 100_000)
        } catch {
            requireSafe(error.message, "analysis start refusal")
            return
        }
        let analysis = checked.analysis
        guard analysis.name == request.analysis, Int64(checked.lastingSeconds) == request.lasting else {
            propertyFailed("analysis start \(request) accepted as \(analysis.name) for \(checked.lastingSeconds) s")
        }
        do {
            let encoded = try JSONEncoder().encode(analysis.parameters)
            let again = try AnalysisCatalogue.validated(
                name: analysis.name,
                parameters: try JSONDecoder().decode([String: AnalysisParameterInput].self, from: encoded)
            )
            guard again == analysis else {
                propertyFailed("\(analysis.name): parameters do not round-trip: \(String(decoding: encoded, as: UTF8.self))")
            }
        } catch {
            propertyFailed("\(analysis.name): parameters do not round-trip: \(error)")
        }
        let lines = analysis.programText(lastingSeconds: checked.lastingSeconds).split(separator: "\n")
        guard lines.first?.hasPrefix(#"BEGIN { print(("ready", nsecs));"#) == true, lines.last?.hasPrefix("END {") == true,
            lines.contains("interval:s:\(checked.lastingSeconds) { exit(); }")
        else { propertyFailed("\(analysis.name): program lost its guarantees: \(lines)") }
        for case .text(let value) in analysis.parameters.entries.map(\.value) {
            guard value.utf8.allSatisfy({ TemplateValidator.isPathByte($0) || $0 == UInt8(ascii: "$") }) else {
                propertyFailed("\(analysis.name): unchecked text reached the program: \(value.debugDescription)")
            }
        }
    }

    /// An error text reaches the client and the log: bounded, one line, no control
    /// characters a hostile value could forge log lines with.
    static func requireSafe(_ message: String, _ what: String) {
        guard !message.isEmpty, message.utf8.count <= maxMessageBytes,
            !message.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F })
        else { propertyFailed("\(what): unsafe message (\(message.utf8.count) bytes): \(message.debugDescription.prefix(300))") }
    }
}
