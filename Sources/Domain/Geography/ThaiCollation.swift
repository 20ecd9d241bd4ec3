/// Thai dictionary-style ordering for place names, without depending on the platform's locale data.
///
/// Plain `String <` compares Unicode scalars, which puts every name that starts with a leading vowel
/// (เ แ โ ใ ไ, U+0E40–U+0E44, written before the consonant they follow in speech) after all names that
/// start with a consonant: "เชียงใหม่" would come after "อุทัยธานี". Dictionaries file such words under
/// the consonant. The key here does what glibc's and ICU's Thai rules do at the first level:
///
/// 1. a leading vowel is swapped with the consonant after it ("เชียงใหม่" is compared as "ชเียงใหม่");
/// 2. tone marks and other marks above (่ ้ ๊ ๋ ็ ์ ํ ๎ ฺ) are ignored at first, then break ties.
///
/// Otherwise the Thai block's own code order is the dictionary's order: consonants ก…ฮ (ฤ after ร,
/// ฦ after ล), a consonant with no written vowel before one with a vowel, then ะ ั า ำ ิ ี ึ ื ุ ู เ แ โ ใ ไ.
public enum ThaiCollation {
    /// The first-level key: leading vowels moved after their consonant, marks dropped.
    public static func primaryKey(_ s: String) -> [UInt32] {
        reordered(s).filter { !isIgnorableMark($0) }
    }

    /// True when `a` sorts before `b`; ties on the first level are broken by the marks, then by scalars.
    public static func areInIncreasingOrder(_ a: String, _ b: String) -> Bool {
        let ka = primaryKey(a), kb = primaryKey(b)
        if ka != kb { return ka.lexicographicallyPrecedes(kb) }
        let ra = reordered(a), rb = reordered(b)
        if ra != rb { return ra.lexicographicallyPrecedes(rb) }
        return a.unicodeScalars.map(\.value).lexicographicallyPrecedes(b.unicodeScalars.map(\.value))
    }

    /// Sorts `items` by the Thai ordering of `name`, computing each key once; equal names keep code order
    /// only if the caller passes them in that order (the sort is stable).
    public static func sorted<T>(_ items: [T], by name: (T) -> String) -> [T] {
        let keyed = items.map { item -> (item: T, primary: [UInt32], full: [UInt32]) in
            let n = name(item)
            return (item, primaryKey(n), reordered(n))
        }
        return keyed.enumerated().sorted { l, r in
            if l.element.primary != r.element.primary { return l.element.primary.lexicographicallyPrecedes(r.element.primary) }
            if l.element.full != r.element.full { return l.element.full.lexicographicallyPrecedes(r.element.full) }
            return l.offset < r.offset
        }.map(\.element.item)
    }

    static func reordered(_ s: String) -> [UInt32] {
        var out: [UInt32] = []
        out.reserveCapacity(s.unicodeScalars.count)
        var pendingVowel: UInt32?
        for scalar in s.unicodeScalars {
            let v = scalar.value
            if let vowel = pendingVowel {
                pendingVowel = nil
                if isConsonant(v) {
                    out.append(v)
                    out.append(vowel)
                    continue
                }
                out.append(vowel)
            }
            if isLeadingVowel(v) { pendingVowel = v } else { out.append(v) }
        }
        if let vowel = pendingVowel { out.append(vowel) }
        return out
    }

    static func isConsonant(_ v: UInt32) -> Bool { (0x0E01...0x0E2E).contains(v) }
    static func isLeadingVowel(_ v: UInt32) -> Bool { (0x0E40...0x0E44).contains(v) }
    /// Phinthu, maitaikhu, the four tone marks, thanthakhat, nikhahit, yamakkan.
    static func isIgnorableMark(_ v: UInt32) -> Bool { v == 0x0E3A || (0x0E47...0x0E4E).contains(v) }
}
