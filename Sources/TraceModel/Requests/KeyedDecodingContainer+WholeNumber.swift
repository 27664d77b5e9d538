extension KeyedDecodingContainer {
    /// Decodes a JSON whole number. Foundation's decoder reports `1.5` or `1e30` for an
    /// integer as "not valid JSON" with no field; this names the field instead.
    func decodeWholeNumber(forKey key: Key) throws -> Int64 {
        if let number = try? decode(Int64.self, forKey: key) { return number }
        if (try? decode(Double.self, forKey: key)) != nil {
            throw DecodingError.typeMismatch(
                Int64.self,
                .init(codingPath: codingPath + [key], debugDescription: "not a whole number in range")
            )
        }
        // Absent, null or not a number: let the decoder say which.
        return try decode(Int64.self, forKey: key)
    }

    /// An optional whole number: absent or `null` is nil, anything else as `decodeWholeNumber`.
    func decodeWholeNumberIfPresent(forKey key: Key) throws -> Int64? {
        guard contains(key), try !decodeNil(forKey: key) else { return nil }
        return try decodeWholeNumber(forKey: key)
    }
}
