extension String {
    /// Thai digits ๐–๙ (U+0E50–U+0E59) and full-width digits ０–９ made 0–9; everything else unchanged.
    /// Thai keyboards type Thai digits, and people copy numbers from documents that use them.
    public var arabicDigits: String {
        String(
            String.UnicodeScalarView(
                unicodeScalars.map { s in
                    switch s.value {
                    case 0x0E50...0x0E59: Unicode.Scalar(UInt8(s.value - 0x0E50 + 0x30))
                    case 0xFF10...0xFF19: Unicode.Scalar(UInt8(s.value - 0xFF10 + 0x30))
                    default: s
                    }
                }))
    }
}
