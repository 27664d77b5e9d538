import Foundation

// libFuzzer harness over what a request body goes through before anything runs: JSON
// decoding of every body the API takes, the rules of each, and for an accepted template
// its tracer programs, argv and environment. Built by `scripts/fuzz.sh` with
// `swiftc -sanitize=fuzzer,address` together with EndpointCore's request, model,
// validation and program sources (one module, so no package dependency is rebuilt
// with instrumentation). A property that fails is a crash, which libFuzzer saves.

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
        if let template: TraceTemplate = decode(body) { checkTemplate(template) }
        if let start: StartRequest = decode(body) { checkStart(start) }
        if let remove: RemoveRequest = decode(body) { checkRemove(remove) }
        if let _: KillRequest = decode(body) {}
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
            let checked = try request.checked(maxLastingSeconds: maxLastingSeconds)
            guard checked.tracer.rawValue == request.traceT, (1...maxLastingSeconds).contains(checked.lastingSeconds),
                Int64(checked.lastingSeconds) == request.lasting, checked.templateId == request.traceId
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

    /// An error text reaches the client and the log: bounded, one line, no control
    /// characters a hostile value could forge log lines with.
    static func requireSafe(_ message: String, _ what: String) {
        guard !message.isEmpty, message.utf8.count <= maxMessageBytes,
            !message.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F })
        else { propertyFailed("\(what): unsafe message (\(message.utf8.count) bytes): \(message.debugDescription.prefix(300))") }
    }
}
