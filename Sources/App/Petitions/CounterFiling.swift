import Domain
import Fluent
import Foundation
import Vapor

/// Who an officer files for at the counter or on the phone: a registered citizen of the tenant (found by
/// national ID, carried to the second step by account id), or a person without an account (name and a
/// contact, kept as the petition's private requester details).
struct CounterApplicant {
    var citizen: CitizenAccount?
    var name: String
    var phone: String
    var email: String

    static let nameMaxLength = 120
    static let phoneMaxLength = 20
    static let emailMaxLength = 200

    var isCitizen: Bool { citizen != nil }

    /// The fields that carry the person to the next step (after the CSRF token, before the service's form).
    var hidden: [CounterFilingPage.Hidden] {
        if let citizen, let id = citizen.id { return [.init(name: "who", value: "citizen"), .init(name: "citizen", value: id.uuidString)] }
        return [.init(name: "who", value: "guest"), .init(name: "name", value: name), .init(name: "phone", value: phone), .init(name: "email", value: email)]
    }

    /// What the officer sees of the person: the name and, for an account, the masked national ID.
    var rows: [OfficerPetitionPage.Row] {
        if let c = citizen {
            return [
                .init(label: "ผู้ยื่น", value: "\(c.fullName) (มีบัญชีในระบบ)"), .init(label: "เลขประจำตัวประชาชน", value: c.maskedNationalID),
                .init(label: "การยืนยันตัวตน", value: c.verificationStatus.thai),
            ]
        }
        return [.init(label: "ผู้ยื่น", value: "\(name) (ไม่มีบัญชีในระบบ)")]
            + (phone.isEmpty ? [] : [.init(label: "โทรศัพท์", value: phone)])
            + (email.isEmpty ? [] : [.init(label: "อีเมล", value: email)])
    }

    /// The private requester details of a person without an account, in the shape Open311 requesters are kept
    /// (officers' page shows them; no public page or API returns them).
    func requesterJSON(officer: String) throws -> String? {
        guard citizen == nil else { return nil }
        var r = Open311Requester(client: officer)
        r.firstName = name
        r.phone = phone.isEmpty ? nil : phone
        r.email = email.isEmpty ? nil : email
        return try StoredJSON.encode(r)
    }

    /// A person without an account from the sent fields: a name, and a phone number or an e-mail address.
    static func guest(_ fields: [String: String], errors: inout FormErrors) -> CounterApplicant? {
        func text(_ key: String) -> String { (fields[key] ?? "").trimmingCharacters(in: .whitespacesAndNewlines) }
        let name = text("name"), phone = text("phone"), email = text("email").lowercased()
        if name.isEmpty {
            errors.add("name", "กรุณากรอกชื่อ–นามสกุลของผู้ยื่น")
        } else if name.count > nameMaxLength {
            errors.add("name", "ชื่อ–นามสกุลยาวได้ไม่เกิน \(nameMaxLength) ตัวอักษร")
        }
        let phoneDigits = phone.arabicDigits.filter(\.isNumber)
        if !phone.isEmpty,
            phone.count > phoneMaxLength || !phone.arabicDigits.allSatisfy({ $0.isASCII && ($0.isNumber || " -+()".contains($0)) })
                || !(9...15).contains(phoneDigits.count)
        {
            errors.add("phone", "หมายเลขโทรศัพท์ไม่ถูกต้อง กรอกเป็นตัวเลข 9–15 หลัก เช่น 0812345678")
        }
        if !email.isEmpty, email.count > emailMaxLength || !Self.looksLikeEmail(email) {
            errors.add("email", "รูปแบบอีเมลไม่ถูกต้อง เช่น somchai@example.com")
        }
        if phone.isEmpty, email.isEmpty { errors.add("phone", "กรุณากรอกหมายเลขโทรศัพท์หรืออีเมลของผู้ยื่นอย่างน้อยหนึ่งช่อง") }
        guard errors.isEmpty else { return nil }
        return CounterApplicant(citizen: nil, name: name, phone: phone.arabicDigits, email: email)
    }

    static func looksLikeEmail(_ s: String) -> Bool {
        let parts = s.split(separator: "@", omittingEmptySubsequences: false)
        return parts.count == 2 && !parts[0].isEmpty && parts[1].contains(".") && !parts[1].hasPrefix(".") && !parts[1].hasSuffix(".")
            && !s.contains(where: { $0.isWhitespace })
    }
}

/// The pages of filing on someone's behalf: step one (channel, person, service) and step two (the service's
/// form with the person carried along). Encodable contexts for `backoffice/petitions/counter` and `counter-form`.
struct CounterFilingPage: Encodable {
    struct Hidden: Encodable {
        var name: String
        var value: String
    }

    var page: PageChrome
    var tenantName: String
    var queueURL: String
    var action: String
    var csrf: String
    var sections: [FormSection]
    var errors: [ErrorLink]
    var notice: String?
}

struct CounterFilingFormPage: Encodable {
    var page: PageChrome
    var tenantName: String
    var queueURL: String
    var startURL: String
    var action: String
    var csrf: String
    var token: String
    var formVersion: Int
    var channel: String
    var channelLabel: String
    var service: String
    var serviceName: String
    var slaDays: Int
    var person: [OfficerPetitionPage.Row]
    var hidden: [CounterFilingPage.Hidden]
    var sections: [FormSection]
    var errors: [ErrorLink]
    var notice: String?
    var hasFiles: Bool
    var hasAddress: Bool
    /// A location field: the page loads its map script (and Leaflet when tiles are set).
    var hasLocation: Bool
    var mapTiles: Bool
    var maxBytes: Int
}
