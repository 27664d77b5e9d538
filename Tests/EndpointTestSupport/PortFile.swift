import Foundation

/// The port `lambda-endpoint serve --port-file FILE` wrote: nil until the file is there,
/// and for anything but decimal digits and one newline (the format is the contract).
public func portWritten(to path: String) -> Int? {
    guard let text = try? String(contentsOfFile: path, encoding: .utf8), text.hasSuffix("\n"),
        text.dropLast().allSatisfy(\.isASCII), text.dropLast().allSatisfy(\.isNumber)
    else { return nil }
    return Int(text.dropLast())
}
