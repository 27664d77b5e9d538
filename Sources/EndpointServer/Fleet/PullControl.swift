import EndpointCore
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import Submitter

/// Pull mode (SPEC "Pull mode and fleets"), a service of its own: registers with the
/// platform at start and every `register-interval`, and long-polls it for tasks, which
/// run through the endpoint's own routes (`TaskDispatcher`) at most once each
/// (`EndpointDatabase.claimTask`), their results sent back until acknowledged.
///
/// Every poll carries a fresh `nonce`, and its answer is obeyed only when its
/// `Lambda-Signature` verifies as the answer to that very poll (docs/security.md,
/// "Signatures"): an unsigned answer, one signed for another poll (a replay), and one
/// carrying only a copy of the endpoint's own `Authorization` run nothing and are logged. Failures back off with jitter (`RetryPolicy`, as `/submit`). Graceful
/// shutdown cancels an in-flight poll rather than waiting for it (up to 26 s).
public struct PullControl: Service {
    public struct Settings: Sendable {
        public var endpointUUID: String
        public var control: ControlMode
        public var labels: [String: String]
        public var registerInterval: Duration
        public var pollWaitSeconds: Int
        public var retryPolicy: RetryPolicy
        /// The largest poll answer read, and the largest route answer a result carries.
        public var maxAnswerBytes: Int
    }

    let settings: Settings
    let client: PlatformClient
    let verifier: SignatureVerifier
    let database: EndpointDatabase
    let dispatcher: TaskDispatcher
    let host: TracingHost
    let logger: Logger

    /// Tasks of one poll answer taken at the most; more are refused with the answer.
    static let maxTasksPerAnswer = 100

    public func run() async throws {
        try await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await registerForever() }
                group.addTask { await pollForever() }
                group.addTask { await resendUnacknowledgedResults() }
                await group.waitForAll()
            }
        }
    }

    // MARK: - Registration

    func registerForever() async {
        var failures = 0
        while !Task.isCancelled {
            let outcome = await register()
            if outcome {
                failures = 0
                try? await Task.sleep(for: settings.registerInterval)
            } else {
                failures += 1
                try? await Task.sleep(for: settings.retryPolicy.delay(attempt: failures, retryAfter: nil, random: Double.random(in: 0...1)))
            }
        }
    }

    /// One `PUT /endpoints/<uuid>`; true when the platform took it.
    func register() async -> Bool {
        let host = self.host
        // Read on the host-inspection thread, as GET /analyses reads it.
        let analyses = (try? await HostInspection.run(tracefsPath: host.tracefsPath) { AnalysisListing.catalogue(on: host) }) ?? []
        let registration = Registration(
            uuid: settings.endpointUUID,
            hostname: Self.hostname,
            labels: settings.labels,
            control: settings.control,
            analyses: analyses.filter(\.available).map(\.name)
        )
        do {
            let answer = try await client.request(
                .PUT,
                "/endpoints/\(settings.endpointUUID)",
                body: ByteBuffer(bytes: try Self.encoder.encode(registration)),
                keepingBodyUpTo: 64 * 1024
            )
            guard (200..<300).contains(answer.status) else {
                logger.warning("The platform refused the registration", metadata: ["http.status": "\(answer.status)"])
                return false
            }
            return true
        } catch {
            if !Task.isCancelled { logger.warning("Cannot register with the platform", metadata: ["error": "\(error)"]) }
            return false
        }
    }

    // MARK: - Polling

    func pollForever() async {
        var failures = 0
        while !Task.isCancelled {
            let worked = await pollOnce()
            if worked {
                failures = 0
            } else {
                failures += 1
                try? await Task.sleep(for: settings.retryPolicy.delay(attempt: failures, retryAfter: nil, random: Double.random(in: 0...1)))
            }
        }
    }

    /// One long poll and the tasks it brought; false when it failed (to back off).
    func pollOnce() async -> Bool {
        let wait = settings.pollWaitSeconds
        let nonce = LambdaSignature.makeNonce()
        let route = "/tasks?endpoint=\(settings.endpointUUID)&wait=\(wait)&nonce=\(nonce)"
        let answer: SubmitAnswer
        let pollURI: String
        do {
            pollURI = try client.uri(of: route)
            answer = try await client.request(
                .GET,
                route,
                keepingBodyUpTo: settings.maxAnswerBytes,
                timeoutSeconds: Int64(wait + 10)
            )
        } catch {
            if !Task.isCancelled { logger.warning("Cannot poll the platform for tasks", metadata: ["error": "\(error)"]) }
            return false
        }
        if answer.status == 204 { return true }
        guard answer.status == 200 else {
            logger.warning("The platform answered a poll for tasks with an error", metadata: ["http.status": "\(answer.status)"])
            return false
        }
        // Obeyed only if the platform proves it knows the secret and signed this very
        // poll's answer: a copied header or a captured answer to another poll runs nothing.
        let body = answer.body ?? []
        let verdict = verifier.verifyAnswer(
            answer.signature,
            method: "GET",
            pathAndQuery: pollURI,
            nonce: nonce,
            bodyDigest: LambdaSignature.bodyDigest(body)
        )
        guard verdict == .accepted else {
            let reason: String
            if case .rejected(let why) = verdict { reason = why } else { reason = "\(verdict)" }
            logger.error("Ignored a poll answer not signed for this poll: none of its tasks ran", metadata: ["task.signature": "\(reason)"])
            return false
        }
        let tasks: [PlatformTask]
        do {
            tasks = try JSONDecoder().decode([PlatformTask].self, from: Data(body))
        } catch {
            logger.error("Ignored a poll answer that is not a list of tasks", metadata: ["error": "\(error)"])
            return false
        }
        if tasks.count > Self.maxTasksPerAnswer {
            logger.warning(
                "A poll answer held more tasks than one answer may; the rest are left for the platform to send again",
                metadata: ["task.count": "\(tasks.count)", "task.taken": "\(Self.maxTasksPerAnswer)"]
            )
        }
        for task in tasks.prefix(Self.maxTasksPerAnswer) {
            await take(task)
        }
        return true
    }

    // MARK: - Tasks

    /// Runs `task` unless its id was taken before, then sends its result.
    func take(_ task: PlatformTask) async {
        guard PlatformTask.isValidID(task.id) else {
            logger.error("Ignored a task whose id breaks its rule (1 to 128 of A-Z a-z 0-9 . _ : -)")
            return
        }
        let claim: TaskClaim
        do {
            claim = try await database.claimTask(id: task.id)
        } catch {
            logger.error("Cannot record a task as taken; it does not run", metadata: ["task.id": "\(task.id)", "error": "\(error)"])
            return
        }
        let result: TaskResult
        switch claim {
        case .done(let recorded):
            logger.notice("A task id already executed came again: its result is sent again, nothing runs", metadata: ["task.id": "\(task.id)"])
            await sendResult(id: task.id, recorded)
            return
        case .inDoubt(let takenAt):
            logger.warning("A task id taken before the endpoint stopped came again: not run again", metadata: ["task.id": "\(task.id)"])
            result = TaskResult(
                endpoint: settings.endpointUUID,
                status: 409,
                body: .object([
                    "error": .string(
                        "task \(task.id) was taken at \(ISO8601DateFormatter().string(from: takenAt)) and the endpoint stopped before its result was recorded; it is not run again"
                    )
                ])
            )
        case .new:
            result = await execute(task)
        }
        do {
            try await database.recordTaskResult(id: task.id, result: result)
        } catch {
            // Sent all the same; a redelivery of the id would then find it in doubt, never run it twice.
            logger.error("Cannot record a task's result", metadata: ["task.id": "\(task.id)", "error": "\(error)"])
        }
        await sendResult(id: task.id, result)
    }

    func execute(_ task: PlatformTask) async -> TaskResult {
        do throws(FieldError) {
            try task.checked()
        } catch {
            return TaskResult(endpoint: settings.endpointUUID, status: 400, body: .object(["error": .string(error.message)]))
        }
        let (status, body) = await dispatcher.run(task)
        logger.info(
            "Task executed",
            metadata: ["task.id": "\(task.id)", "task.method": "\(task.method)", "task.path": "\(task.path)", "http.status": "\(status)"]
        )
        return TaskResult(endpoint: settings.endpointUUID, status: status, body: body)
    }

    /// `PUT /tasks/<id>/result` until the platform acknowledges it (2xx) or refuses it
    /// for good (400, 413, 422), with the backoff; the acknowledgement is recorded.
    func sendResult(id: String, _ result: TaskResult) async {
        guard let body = try? Self.encoder.encode(result) else { return }
        var attempt = 0
        while !Task.isCancelled {
            attempt += 1
            var status: Int?
            var retryAfter: String?
            do {
                let answer = try await client.request(.PUT, "/tasks/\(id)/result", body: ByteBuffer(bytes: body), keepingBodyUpTo: 64 * 1024)
                (status, retryAfter) = (answer.status, answer.retryAfter)
            } catch {
                if Task.isCancelled { return }
            }
            switch RetryPolicy.classify(status: status, retryAfter: retryAfter) {
            case .acknowledged:
                try? await database.recordTaskAcknowledged(id: id)
                return
            case .permanent(let code):
                logger.error("The platform refused a task's result for good", metadata: ["task.id": "\(id)", "http.status": "\(code)"])
                try? await database.recordTaskAcknowledged(id: id)
                return
            case .retry(let after):
                try? await Task.sleep(for: settings.retryPolicy.delay(attempt: attempt, retryAfter: after, random: Double.random(in: 0...1)))
            }
        }
    }

    /// Results recorded before a restart that the platform never acknowledged.
    func resendUnacknowledgedResults() async {
        guard let pending = try? await database.unacknowledgedTaskResults() else { return }
        for (id, result) in pending where !Task.isCancelled {
            await sendResult(id: id, result)
        }
    }

    /// The kernel's host name (`gethostname`: no resolver involved).
    static let hostname: String = {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "unknown" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }()

    /// What the platform receives is encoded as the API's own answers are.
    static var encoder: JSONEncoder { EndpointRequestContext.encoder }
}
