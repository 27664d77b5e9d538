import PlatformWire
import TraceModel

extension PlatformTask {
    /// The method is GET, PUT or POST and the path one absolute path of at most 1024
    /// bytes with no query or fragment of its own (the query is `query`). Which route it
    /// names is the router's to say, as for a request over HTTP (404 for none).
    package func checked() throws(FieldError) {
        guard ["GET", "PUT", "POST"].contains(method) else {
            throw FieldError(field: "method", reason: "must be GET, PUT or POST, got \(quoted(String(method.prefix(16))))")
        }
        guard path.hasPrefix("/"), path.utf8.count <= 1024, !path.contains("?"), !path.contains("#"),
            path.unicodeScalars.allSatisfy({ $0.isASCII && $0.value > 0x20 && $0.value < 0x7F })
        else {
            throw FieldError(field: "path", reason: "must be an absolute path of at most 1024 printable ASCII bytes, without ? or #")
        }
        guard query.count <= 32, query.allSatisfy({ $0.key.utf8.count <= 256 && $0.value.utf8.count <= 4096 }) else {
            throw FieldError(field: "query", reason: "at most 32 keys, each of at most 256 bytes and its value of at most 4096")
        }
    }
}
