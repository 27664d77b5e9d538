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
    /// The output file was made by this start (a relaunch continues one that exists).
    let madeOutputFile: Bool
    /// Bytes the output file holds when opened (0 for a new one).
    let outputSize: Int64

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
        self.madeOutputFile = true
        self.outputSize = 0
    }

    /// A relaunch's files: the run's existing output file, opened to append (never
    /// through a symlink), and a new program beside it. When the file ends inside a line
    /// (the endpoint died between two reads of a tracer's output), a newline ends it
    /// first, so the relaunched tracer's lines start whole.
    init(continuing outputPath: String, programText: String, tracer: TracerType) throws(StartRefusal) {
        let fd = open(outputPath, O_RDWR | O_APPEND | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw .cannotCreateFile("\(outputPath): \(String(cString: strerror(errno)))") }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            throw .cannotCreateFile("\(outputPath): not a regular file")
        }
        var size = Int64(info.st_size)
        var last: UInt8 = 0
        if size > 0, pread(fd, &last, 1, off_t(size - 1)) == 1, last != UInt8(ascii: "\n") {
            let newline: [UInt8] = [UInt8(ascii: "\n")]
            if newline.withUnsafeBytes({ write(fd, $0.baseAddress, 1) }) == 1 { size += 1 }
        }
        do {
            program = try TracerProgramFile(writing: programText, to: TracerProgramFile.path(forRun: outputPath, tracer: tracer))
        } catch {
            close(fd)
            throw .cannotCreateFile("\(error)")
        }
        self.outputPath = outputPath
        self.outputFD = fd
        self.madeOutputFile = false
        self.outputSize = size
    }

    /// Undoes the start: nothing of it stays in trace-dir (a relaunch's output file, the
    /// run's, stays).
    func abandon() {
        close(outputFD)
        if madeOutputFile { unlink(outputPath) }
        program.remove()
    }
}
