import Foundation

/// A watermarked identity image: a JPEG without any metadata, and its size.
public struct MarkedImage: Sendable, Equatable {
    public var jpeg: [UInt8]
    public var width: Int
    public var height: Int
}

/// Where the watermark font is. Loma (fonts-thai-tlwg) is the default; see `IdentityWatermark` for why.
public enum WatermarkFont {
    public static let lomaPath = "/usr/share/fonts/truetype/tlwg/Loma.ttf"
    /// Where Debian and Ubuntu packages put Loma.
    public static let candidates = [lomaPath, "/usr/share/fonts/opentype/tlwg/Loma.otf", "/usr/share/fonts/truetype/thai/Loma.ttf"]

    /// `override` when given (it must be readable); otherwise the first readable candidate.
    public static func locate(override: String? = nil) throws -> String {
        if let override {
            guard FileManager.default.isReadableFile(atPath: override) else { throw ImagingError.fontMissing(path: override) }
            return override
        }
        guard let found = candidates.first(where: FileManager.default.isReadableFile(atPath:)) else {
            throw ImagingError.fontMissing(path: lomaPath)
        }
        return found
    }
}

/// Marks a copy of an identity document the way Thai offices cross a photocopy of an ID card: two parallel
/// diagonal lines with "for … only" written between them. The band is repeated over the whole picture, so
/// cropping cannot remove it: bands run parallel to the image's rising diagonal (corner to corner), the
/// outermost bands pass through the other two corners, and the falling diagonal crosses every band.
/// Lines and text are translucent (alpha-blended), so the document stays readable underneath.
///
/// Font and size: Loma, with the text shaped by `ThaiShaper` (libgd here has no libraqm). Checked by eye on
/// rendered, rotated bands at 11–125 px per em with ที่ ซ่อม ยืนยันตัวตน เท่านั้น กระทุ่ม ป่า ฐุ น้ำ: from
/// 24 px per em (18 pt at gd's 96 dpi) every mark is distinct; at 20 px the lowered tone mark of ซ่ merges into
/// the consonant once rotated and blended, and below 16 px tone marks fade out. So the em is 1/24 of the
/// image's short side, never below 24 px. Garuda, unshaped, puts tone marks too high (ซ่อม); shaped it is
/// fine too, but Loma's shapes stay clearer when rotated.
///
/// The unmarked original stays in memory: `mark` takes bytes and returns only the marked JPEG.
public struct IdentityWatermark: Sendable {
    /// Colour and proportions; the defaults are what the app uses.
    public struct Style: Sendable, Equatable {
        public var red = 170, green = 20, blue = 20
        /// gd alpha 0 (opaque) … 127 (transparent): 48 is about 62 % opaque.
        public var alpha = 48
        /// The em is this fraction of the short side …
        public var emPerShortSide = 1.0 / 24
        /// … but never less than this many pixels (see above).
        public var minimumEm = 24.0
        public init() {}
    }

    public let text: String
    public let fontPath: String
    public var style: Style
    /// `text` with Thai marks placed for gd.
    let shaped: String

    /// `fontPath` nil: the default Loma. Throws `fontMissing` / `fontUnusable` at once, not at the first image.
    public init(text: String, fontPath: String? = nil, style: Style = Style()) throws {
        self.text = text
        self.fontPath = try WatermarkFont.locate(override: fontPath)
        self.style = style
        self.shaped = ThaiShaper.shape(text)
        let path = self.fontPath
        if case .failure(let error) = GDImage.textWidth("ก", font: path, points: 12) {
            throw ImagingError.fontUnusable(path: path, reason: error.message)
        }
    }

    /// Header check (refusing more than `maxPixels` before decoding) → decode → orientation → draw → JPEG.
    public func mark(_ bytes: [UInt8], format: ImageFormat, maxPixels: Int = 40_000_000, quality: Int = 85) throws -> MarkedImage {
        let image = try GDImage.load(bytes, as: format, maxPixels: maxPixels)
        try draw(on: image)
        // libgd writes a bare JFIF JPEG: no EXIF, GPS or other metadata of the upload survives.
        return MarkedImage(jpeg: try image.encodeJPEG(quality: quality), width: image.width, height: image.height)
    }

    /// Where the bands go for an image of this size.
    public struct Layout: Sendable, Equatable {
        public var em: Double
        /// FreeType size in points (gd renders at 96 dpi).
        public var points: Double
        /// Rising angle of the bands, radians counter-clockwise.
        public var angle: Double
        /// Distance between band centres, and how many bands lie on each side of the central one.
        public var period: Double
        public var bandsEachSide: Int
        public var lineThickness: Double
        /// Distance from a band's centre line to each of its two lines.
        public var lineOffset: Double

        public init(width: Int, height: Int, style: Style = Style()) {
            let w = Double(width), h = Double(height)
            em = max(style.minimumEm, min(w, h) * style.emPerShortSide)
            points = em * 0.75
            angle = min(max(atan2(h, w), .pi / 12), .pi * 5 / 12)
            // Distance, across the bands, from the centre to the farthest corner; bands are spaced so that the
            // outermost ones pass through the corners.
            let reach = w / 2 * sin(angle) + h / 2 * cos(angle)
            bandsEachSide = max(1, Int((reach / (6.5 * em)).rounded()))
            period = reach / Double(bandsEachSide)
            lineThickness = max(2, em / 10)
            lineOffset = 1.05 * em
        }
    }

    /// What gets drawn on an image of this size, in image coordinates (y down). All marks use `style`'s colour.
    public struct Plan: Sendable, Equatable {
        public enum Mark: Sendable, Equatable {
            /// A filled quadrilateral: one of a band's two lines.
            case line([Point])
            /// The whole text, baseline starting at `at`, rising at `layout.angle`.
            case text(at: Point)
        }
        public struct Point: Sendable, Equatable {
            public var x: Double, y: Double
        }
        public var layout: Layout
        /// The text's advance at `layout.points`.
        public var textWidth: Double
        public var marks: [Mark]
    }

    /// The bands for a `width` × `height` image: for each band its two lines, then each repetition of the text
    /// that touches the image (repetitions wholly outside are left out; gd would clip them anyway).
    public func plan(width: Int, height: Int) throws -> Plan {
        let layout = Layout(width: width, height: height, style: style)
        let textWidth: Double
        switch GDImage.textWidth(shaped, font: fontPath, points: layout.points) {
        case .success(let width): textWidth = width
        case .failure(let error): throw ImagingError.fontUnusable(path: fontPath, reason: error.message)
        }
        let w = Double(width), h = Double(height)
        let (ux, uy) = (cos(layout.angle), -sin(layout.angle))  // along a band, rising to the right
        let (nx, ny) = (sin(layout.angle), cos(layout.angle))  // across, downwards
        let half = hypot(w, h) / 2 + layout.em  // half a band's length: past the image at both ends
        let unit = textWidth + 3 * layout.em  // text, then a gap, repeated along the band
        var marks: [Plan.Mark] = []

        func line(_ cx: Double, _ cy: Double) -> Plan.Mark {
            let t = layout.lineThickness / 2
            return .line([
                .init(x: cx - ux * half + nx * t, y: cy - uy * half + ny * t), .init(x: cx + ux * half + nx * t, y: cy + uy * half + ny * t),
                .init(x: cx + ux * half - nx * t, y: cy + uy * half - ny * t), .init(x: cx - ux * half - nx * t, y: cy - uy * half - ny * t),
            ])
        }

        let k = layout.bandsEachSide
        for j in -k...k {
            let bx = w / 2 + nx * Double(j) * layout.period, by = h / 2 + ny * Double(j) * layout.period
            marks.append(line(bx - nx * layout.lineOffset, by - ny * layout.lineOffset))
            marks.append(line(bx + nx * layout.lineOffset, by + ny * layout.lineOffset))
            guard !shaped.isEmpty else { continue }
            // Odd bands start half a unit later, so neighbouring bands show different words.
            var t = -half - unit + (j & 1 == 1 ? unit / 2 : 0)
            while t < half {
                defer { t += unit }
                // Baseline a third of an em below the centre line centres Thai between the lines.
                let x = bx + nx * 0.33 * layout.em + ux * t, y = by + ny * 0.33 * layout.em + uy * t
                let mx = x + ux * textWidth / 2, my = y + uy * textWidth / 2, r = textWidth / 2 + layout.em
                if mx + r < 0 || my + r < 0 || mx - r > w || my - r > h { continue }  // wholly outside
                marks.append(.text(at: .init(x: x, y: y)))
            }
        }
        return Plan(layout: layout, textWidth: textWidth, marks: marks)
    }

    /// Draws the repeated bands on an upright image.
    public func draw(on image: GDImage) throws {
        let plan = try plan(width: image.width, height: image.height)
        let color = GDImage.color(red: style.red, green: style.green, blue: style.blue, alpha: style.alpha)
        try shaped.withCString { text in
            try fontPath.withCString { font in
                for mark in plan.marks {
                    switch mark {
                    case .line(let corners):
                        image.fillPolygon(corners.map { ($0.x, $0.y) }, color: color)
                    case .text(let p):
                        if let error = image.drawText(
                            text, font: font, points: plan.layout.points, angle: plan.layout.angle,
                            x: p.x, y: p.y, color: color)
                        {
                            throw ImagingError.fontUnusable(path: fontPath, reason: error)
                        }
                    }
                }
            }
        }
    }
}
