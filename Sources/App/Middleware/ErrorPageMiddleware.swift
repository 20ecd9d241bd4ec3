import Vapor

/// Turns every error into a Thai page (or a JSON error for API clients) with the right status.
/// Nothing reaches the person as a bare 500; the detail goes to the log with the request id.
struct ErrorPageMiddleware: AsyncMiddleware {
    struct ErrorPage: Encodable {
        var page: PageChrome
        var status: Int
        var heading: String
        var message: String
        var requestID: String
    }

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        do {
            return try await next.respond(to: request)
        } catch {
            request.application.metrics.noteFailure(error)  // a database pool timeout is counted for /metrics
            return await render(error, for: request)
        }
    }

    func render(_ error: any Error, for request: Request) async -> Response {
        let status: HTTPStatus
        var reason: String?
        if let abort = error as? any AbortError {
            status = abort.status
            reason = abort.reason
        } else if error is DecodingError {
            status = .badRequest
        } else {
            status = .internalServerError
        }
        if status.code >= 500 {
            request.logger.error("request failed", metadata: ["error": .string(String(reflecting: error))])
        } else {
            request.logger.debug("request refused", metadata: ["status": .stringConvertible(status.code)])
        }
        let (heading, message) = Self.thaiText(status: status, reason: reason)
        let accept = request.headers[.accept].joined(separator: ",").lowercased()
        let wantsJSON = request.url.path.hasPrefix("/api/") || (accept.contains("application/json") && !accept.contains("text/html"))
        if wantsJSON {
            let body = (try? JSONEncoder().encode(["error": heading, "message": message, "request_id": request.id])) ?? Data()
            return Response(status: status, headers: ["Content-Type": "application/json; charset=utf-8"], body: .init(data: body))
        }
        let context = ErrorPage(
            page: PageChrome(request: request, title: heading), status: Int(status.code),
            heading: heading, message: message, requestID: request.id)
        do {
            let response = try await request.view.render("errors/error", context).encodeResponse(status: status, for: request)
            return response
        } catch {
            let text = "\(status.code) \(heading)\n\(message)"
            return Response(status: status, headers: ["Content-Type": "text/plain; charset=utf-8"], body: .init(string: text))
        }
    }

    static func thaiText(status: HTTPStatus, reason: String?) -> (String, String) {
        switch (status.code, reason) {
        case (404, "tenant"?):
            ("ไม่พบหน่วยงานนี้", "ไม่พบหน่วยงานที่ท่านต้องการในระบบบริการประชาชนออนไลน์ กรุณาตรวจสอบที่อยู่เว็บไซต์ หรือเลือกหน่วยงานจากหน้ารายชื่อหน่วยงาน")
        case (404, _):
            ("ไม่พบหน้าที่ท่านต้องการ", "หน้านี้อาจถูกย้ายหรือไม่มีอยู่ กรุณาตรวจสอบที่อยู่อีกครั้ง หรือกลับไปที่หน้าหลัก")
        case (403, "csrf"?):
            ("แบบฟอร์มหมดอายุ", "แบบฟอร์มนี้หมดอายุหรือถูกเปิดจากหน้าอื่น ข้อมูลยังไม่ถูกบันทึก กรุณากลับไปเปิดแบบฟอร์มใหม่แล้วส่งอีกครั้ง")
        case (403, _):
            ("ไม่มีสิทธิ์เข้าถึง", "ท่านไม่มีสิทธิ์เข้าถึงหน้านี้")
        case (400, InputTextMiddleware.reason?):
            ("ข้อมูลมีอักขระที่ใช้ไม่ได้", "ข้อมูลที่ส่งมามีอักขระควบคุมซึ่งระบบรับไม่ได้ ข้อมูลยังไม่ถูกบันทึก กรุณาพิมพ์ข้อมูลใหม่แล้วส่งอีกครั้ง")
        case (405, _):
            ("ไม่รองรับคำขอนี้", "หน้านี้ไม่รองรับวิธีการส่งข้อมูลที่ใช้")
        case (413, _):
            ("ไฟล์หรือข้อมูลมีขนาดใหญ่เกินไป", "ข้อมูลที่ส่งมีขนาดเกินกว่าที่ระบบรับได้ กรุณาลดขนาดไฟล์แล้วลองใหม่")
        case (429, _):
            ("มีการใช้งานถี่เกินไป", "กรุณารอสักครู่แล้วลองใหม่อีกครั้ง")
        case (400..<500, _):
            ("คำขอไม่ถูกต้อง", "ข้อมูลที่ส่งมาไม่ถูกต้อง กรุณาตรวจสอบแล้วลองใหม่อีกครั้ง")
        case (503, _):
            ("ระบบไม่พร้อมให้บริการชั่วคราว", "กรุณาลองใหม่อีกครั้งในภายหลัง")
        default:
            ("ระบบขัดข้อง", "ขออภัย ระบบเกิดข้อผิดพลาด ข้อมูลของท่านยังไม่ถูกบันทึก กรุณาลองใหม่อีกครั้ง หากยังพบปัญหาโปรดแจ้งหมายเลขอ้างอิงด้านล่างแก่เจ้าหน้าที่")
        }
    }
}
