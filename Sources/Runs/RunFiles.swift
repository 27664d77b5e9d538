import Foundation
import TraceModel

#if canImport(Glibc)
import Glibc
#endif

/// The two files a run starts with, in trace-dir: its output file, open for the
/// tracer's stdout, and the tracer's program. Made before the run is recorded; a start
/// that cannot go on after that `abandon`s them.
struct RunFiles: Sendable {
    let outputPath: String
    let outputFD: Int32
    let program: TracerProgramFile

    /// `<trace-dir>/<uuid>.trace`, created O_EXCL (never write into a file someone
    /// placed there) and 0600 (traces can be sensitive), and its program beside it.
    init(traceDirectory: String, programText: String, tracer: TracerType) throws(StartRefusal) {
        let outputPath = traceDirectory + "/" + UUID().uuidString.lowercased() + ".trace"
        let fd = open(outputPath, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .cannotCreateFile("\(outputPath): \(String(cString: strerror(errno)))") }
        do {
            program = try TracerProgramFile(writing: programText, to: TracerProgramFile.path(forRun: outputPath, tracer: tracer))
        } catch {
            close(fd)
            unlink(outputPath)
            throw .cannotCreateFile("\(error)")
        }
        self.outputPath = outputPath
        self.outputFD = fd
    }

    /// Undoes the start: nothing of it stays in trace-dir.
    func abandon() {
        close(outputFD)
        unlink(outputPath)
        program.remove()
    }
}
