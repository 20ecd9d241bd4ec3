import Foundation

extension PetitionAnswers {
    /// What an answer removed when its citizen's account was closed reads.
    public static let removedOnClosing = "(ลบแล้วเมื่อผู้ยื่นปิดบัญชี)"

    /// Answer keys of the tenants' forms that name or describe the person rather than the matter: a name, a birth
    /// date, a bank account, income, family status, a card number. Matched whole or as a suffix (`owner_name`).
    public static let personalKeys: Set<String> = [
        "name", "first_name", "last_name", "full_name", "birth_date", "national_id", "bank_account_name", "bank_account_number",
        "monthly_income", "marital_status", "disabled_person_name", "disability_card_number", "house_number", "phone", "mobile",
        "email", "address", "land_owner", "occupation", "customer_number", "witnesses",
    ]

    /// Key beginnings that are about the person (health: a disability's type, card and expiry).
    public static let personalPrefixes = ["disability", "disabled"]

    /// Whether the answer is the person's own data: an e-mail, a phone number or an address field, or a field whose
    /// key is a personal one (`personalKeys`, or ending in `_name` other than a business's, shop's or bank's name).
    public static func isPersonal(_ answer: Answer) -> Bool {
        switch answer.type {
        case .email, .tel, .address: return true
        default: break
        }
        let key = answer.key.lowercased()
        if personalKeys.contains(key) || personalPrefixes.contains(where: key.hasPrefix) { return true }
        if key.hasSuffix("_name"), !["business_name", "shop_name", "bank_name"].contains(key) { return true }
        return false
    }

    /// The answers of a petition whose citizen closed their account: the person's own data replaced by
    /// `removedOnClosing` (kept as text, so the petition still shows which questions were answered), the matter
    /// itself (what, where, when, details, choices, the place of a complaint) kept as the municipality's record.
    public func withoutPersonalData() -> PetitionAnswers {
        PetitionAnswers(
            answers: answers.map { a in
                guard Self.isPersonal(a) else { return a }
                return Answer(key: a.key, label: a.label, type: .text, value: .text(Self.removedOnClosing))
            })
    }
}
