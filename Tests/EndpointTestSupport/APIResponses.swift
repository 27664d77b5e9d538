import Foundation

// The endpoint's answers as a client reads them, written from the contract
// (docs/openapi.yaml) rather than borrowed from the server's own types: a key
// the server renames or stops sending then fails the decoding, and so the test, instead
// of changing on both sides at once. Every key the API always sends is a non-optional
// property; the optional ones are those the document calls absent until they have a
// value. Decode with `APIResponse.decode(_:from:)` (ISO 8601 dates, as the API sends them).

public enum APIResponse {
    public static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(type, from: data)
    }

    public static func decode<T: Decodable>(_ type: T.Type, from text: String) throws -> T {
        try decode(type, from: Data(text.utf8))
    }
}

/// `GET /heartbeat`.
public struct HeartbeatAnswer: Decodable, Sendable {
    public let status: String
    public let time: Date
}

/// Every error answer: `{"error": "..."}`.
public struct ErrorAnswer: Decodable, Sendable, Equatable {
    public let error: String
}

/// A template as the endpoint answers it: every list present.
public struct TemplateAnswer: Decodable, Sendable, Equatable {
    public let process: String
    public let functions: [String]
    public let environment: [String]
    public let value: [String]
    public let options: [String]
    public let traceType: [String]
}

/// An element of `GET /traces`, and the answer of `PUT /trace`.
public struct StoredTemplateAnswer: Decodable, Sendable, Equatable {
    public let traceNo: Int
    public let info: TemplateAnswer
}

/// `POST /trace/start`.
public struct StartAnswer: Decodable, Sendable {
    public let thread: Int
    public let filePath: String
}

/// A run: `GET /trace/running`, the elements of `/traces/running/all` and
/// `/traces/finished`. One JSON object holding the template's keys, then the run's own,
/// then its delivery cursor's; read here as the template and the rest (`status.state`
/// reads `status.run.state`).
@dynamicMemberLookup
public struct RunStatusAnswer: Decodable, Sendable {
    public enum State: String, Decodable, Sendable {
        case starting, running, stopping, delivering, delivered
    }

    public let template: TemplateAnswer
    public let run: Run

    public struct Run: Decodable, Sendable {
        public let filePath: String
        public let thread: Int
        /// This run's tracer (the template's `traceType` lists the ones it may use).
        public let traceT: String
        public let startedAt: Date
        public let deadline: Date
        public let state: State
        public let bytesRead: Int64
        public let exitCode: Int32?
        public let failure: String?
        public let privilege: String
        public let resumed: Bool
        public let probesExpected: Int?
        public let probesAttached: Int?
        public let eventsLost: Int64
        public let binaryChanged: Bool
        public let tracerLimits: [String: Int]?
        /// bpftrace runs: the event rate above which the run stops itself, and whether it did.
        public let maxEventsPerSecond: Int?
        public let rateLimited: Bool
        public let resourceCaps: ResourceCaps?
        // The delivery cursor's.
        public let startAcknowledged: Bool
        public let chunksAcknowledged: Int
        public let bytesAcknowledged: Int64
        public let finishedAcknowledged: Bool
        public let retries: Int
        public let refusedMessages: Int
        public let lastDeliveryError: String?
        public let lastStatusCode: Int?
        public let shortChunkLength: Int?
        /// A targeted run's: as asked and as resolved at start.
        public let target: TargetAnswer?
        public let resolved: ResolvedTargetAnswer?
        /// What the run leaves untraced of its target, in words (absent when nothing).
        public let warnings: [String]?
        /// An analysis's run: its name and every parameter's value, defaults included.
        public let analysis: String?
        public let parameters: [String: AnalysisAnswer.DefaultValue]?
    }

    public struct ResourceCaps: Decodable, Sendable, Equatable {
        public let applied: Bool
        public let cpuPercent: Int?
        public let memoryMiB: Int?
        public let cgroups: [String]?
        public let reason: String?
    }

    public init(from decoder: any Decoder) throws {
        template = try TemplateAnswer(from: decoder)
        run = try Run(from: decoder)
    }

    public subscript<T>(dynamicMember keyPath: KeyPath<Run, T>) -> T { run[keyPath: keyPath] }
}

/// An element of `GET /containers`. Every key is always sent, `null` where the host does
/// not say: a missing key fails the decoding even where `null` would be accepted.
public struct ContainerAnswer: Decodable, Sendable, Equatable {
    public struct Pod: Decodable, Sendable, Equatable {
        public let name: String?
        public let namespace: String?
        public let uid: String?
        public let qosClass: String?

        enum CodingKeys: CodingKey { case name, namespace, uid, qosClass }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            name = try container.decodePresent(String.self, forKey: .name)
            namespace = try container.decodePresent(String.self, forKey: .namespace)
            uid = try container.decodePresent(String.self, forKey: .uid)
            qosClass = try container.decodePresent(String.self, forKey: .qosClass)
        }
    }

    public let id: String
    public let runtime: String?
    public let name: String?
    public let pod: Pod?
    public let cgroup: String
    public let cgroupId: UInt64?
    public let pids: [Int32]
    /// The other cgroups claiming this container's id (null: none).
    public let conflict: [String]?

    enum CodingKeys: CodingKey { case id, runtime, name, pod, cgroup, cgroupId, pids, conflict }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        runtime = try container.decodePresent(String.self, forKey: .runtime)
        name = try container.decodePresent(String.self, forKey: .name)
        pod = try container.decodePresent(Pod.self, forKey: .pod)
        cgroup = try container.decode(String.self, forKey: .cgroup)
        cgroupId = try container.decodePresent(UInt64.self, forKey: .cgroupId)
        pids = try container.decode([Int32].self, forKey: .pids)
        conflict = try container.decodePresent([String].self, forKey: .conflict)
    }
}

extension KeyedDecodingContainer {
    /// A key that must be there, with a value or `null`.
    func decodePresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        guard contains(key) else {
            throw DecodingError.keyNotFound(
                key,
                .init(codingPath: codingPath, debugDescription: "\(key.stringValue) must be present (null when unknown)")
            )
        }
        return try decodeIfPresent(type, forKey: key)
    }
}

/// An element of `GET /analyses`. `unavailable` is present only when `available` is
/// false; a parameter's `default` always (`null` when it has none: decoding fails without
/// the key), `minimum`/`maximum` only for integers, `values` only for enums.
public struct AnalysisAnswer: Decodable, Sendable {
    public let name: String
    public let description: String
    public let tracer: String
    public let parameters: [Parameter]
    public let output: String
    public let requires: Requires
    public let available: Bool
    public let unavailable: String?

    public struct Parameter: Decodable, Sendable {
        public enum Kind: String, Decodable, Sendable {
            case integer, string, `enum`, boolean
        }

        public let name: String
        public let type: Kind
        public let required: Bool
        public let `default`: DefaultValue?
        public let minimum: Int?
        public let maximum: Int?
        public let values: [String]?
        public let description: String

        enum CodingKeys: String, CodingKey { case name, type, required, `default`, minimum, maximum, values, description }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            name = try container.decode(String.self, forKey: .name)
            type = try container.decode(Kind.self, forKey: .type)
            required = try container.decode(Bool.self, forKey: .required)
            `default` = try container.decodePresent(DefaultValue.self, forKey: .default)
            minimum = try container.decodeIfPresent(Int.self, forKey: .minimum)
            maximum = try container.decodeIfPresent(Int.self, forKey: .maximum)
            values = try container.decodeIfPresent([String].self, forKey: .values)
            description = try container.decode(String.self, forKey: .description)
        }
    }

    /// A default of the parameter's own type.
    public enum DefaultValue: Decodable, Sendable, Equatable {
        case integer(Int)
        case boolean(Bool)
        case text(String)

        public init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let flag = try? container.decode(Bool.self) {
                self = .boolean(flag)
            } else if let number = try? container.decode(Int.self) {
                self = .integer(number)
            } else {
                self = .text(try container.decode(String.self))
            }
        }
    }

    public struct Requires: Decodable, Sendable {
        public let tracepoints: [String]
        public let perfEvents: Bool
        public let uprobes: Bool
        public let kprobes: Bool
        public let kernelBTF: Bool
    }
}

/// A run's `target`, as the start asked it: the keys it gave.
public struct TargetAnswer: Decodable, Sendable, Equatable {
    public let pid: Int32?
    public let container: String?
    public let pod: String?
    public let namespace: String?
    public let cgroup: String?
}

/// A targeted run's `resolved`: what the target matched at start, how the tracer filters,
/// which files it probes.
public struct ResolvedTargetAnswer: Decodable, Sendable, Equatable {
    public struct Match: Decodable, Sendable, Equatable {
        public let kind: String
        public let id: String
        public let name: String?
        public let pod: String?
        public let namespace: String?
        public let cgroup: String?
        public let cgroupId: UInt64?
        public let cgroupIds: [UInt64]
        public let pids: [Int32]
        /// Cgroups below the match's past the filter's cap.
        public let untracedSubCgroups: Int?

        enum CodingKeys: CodingKey { case kind, id, name, pod, namespace, cgroup, cgroupId, cgroupIds, pids, untracedSubCgroups }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            kind = try container.decode(String.self, forKey: .kind)
            id = try container.decode(String.self, forKey: .id)
            name = try container.decodePresent(String.self, forKey: .name)
            pod = try container.decodePresent(String.self, forKey: .pod)
            namespace = try container.decodePresent(String.self, forKey: .namespace)
            cgroup = try container.decodePresent(String.self, forKey: .cgroup)
            cgroupId = try container.decodePresent(UInt64.self, forKey: .cgroupId)
            cgroupIds = try container.decode([UInt64].self, forKey: .cgroupIds)
            pids = try container.decode([Int32].self, forKey: .pids)
            untracedSubCgroups = try container.decodeIfPresent(Int.self, forKey: .untracedSubCgroups)
        }
    }

    public struct File: Decodable, Sendable, Equatable {
        public let path: String
        public let device: UInt64
        public let inode: UInt64
        public let pid: Int32
        public let matches: [String]
        /// The build of the file, as `GET /traces` writes a template's.
        public let binary: Binary

        public struct Binary: Decodable, Sendable, Equatable {
            public let buildId: String?
            public let sha256: String
            public let size: Int64
        }
    }

    public let filter: String
    public let matches: [Match]
    public let files: [File]
}
