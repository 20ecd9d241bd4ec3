/// Messages sent to LINE users, encoded as the Messaging API expects them. Only the parts of Flex Message
/// this service uses are modelled: a bubble of vertical boxes with texts, separators and buttons.
public enum LineMessage: Encodable, Sendable, Equatable {
    case text(String)
    /// `altText` is what notifications and old clients show: plain text, at most 400 UTF-16 units (LINE counts
    /// Thai vowel and tone marks one by one).
    case flex(altText: String, contents: FlexBubble)
    /// A message with quick-reply buttons under it (at most 13; LINE shows them until the next message).
    indirect case quickReply(LineMessage, [LineQuickReply])

    enum CodingKeys: String, CodingKey { case type, text, altText, contents, quickReply }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try encode(into: &c)
    }

    private func encode(into c: inout KeyedEncodingContainer<CodingKeys>) throws {
        switch self {
        case .text(let text):
            try c.encode("text", forKey: .type)
            try c.encode(text.linePrefix(utf16: 5000), forKey: .text)
        case .flex(let altText, let contents):
            try c.encode("flex", forKey: .type)
            try c.encode(altText.linePrefix(utf16: 400), forKey: .altText)
            try c.encode(contents, forKey: .contents)
        case .quickReply(let message, let items):
            try message.encode(into: &c)
            struct Items: Encodable { var items: [LineQuickReply] }
            if !items.isEmpty { try c.encode(Items(items: Array(items.prefix(13))), forKey: .quickReply) }
        }
    }

    /// The quick-reply buttons under the message, if any.
    public var quickReplies: [LineQuickReply] {
        if case .quickReply(_, let items) = self { return items }
        return []
    }

    /// What a person reads: the text, or the Flex message's alternative text.
    public var plainText: String {
        switch self {
        case .text(let t): t
        case .flex(let alt, _): alt
        case .quickReply(let message, _): message.plainText
        }
    }
}

public struct FlexBubble: Encodable, Sendable, Equatable {
    public var header: FlexBox?
    public var body: FlexBox
    public var footer: FlexBox?

    public init(header: FlexBox? = nil, body: FlexBox, footer: FlexBox? = nil) {
        self.header = header
        self.body = body
        self.footer = footer
    }

    enum CodingKeys: String, CodingKey { case type, header, body, footer }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode("bubble", forKey: .type)
        try c.encodeIfPresent(header, forKey: .header)
        try c.encode(body, forKey: .body)
        try c.encodeIfPresent(footer, forKey: .footer)
    }

    /// Every text of the bubble in order (for tests and for checking what a person reads).
    public var texts: [String] { [header, body, footer].compactMap { $0 }.flatMap(\.texts) }
}

public struct FlexBox: Encodable, Sendable, Equatable {
    public enum Layout: String, Sendable { case vertical, horizontal, baseline }

    public var layout: Layout
    public var contents: [FlexComponent]
    public var spacing: String?
    public var backgroundColor: String?

    public init(_ layout: Layout = .vertical, spacing: String? = "sm", backgroundColor: String? = nil, _ contents: [FlexComponent]) {
        self.layout = layout
        self.contents = contents
        self.spacing = spacing
        self.backgroundColor = backgroundColor
    }

    /// A vertical box.
    public init(_ contents: [FlexComponent]) {
        self.init(.vertical, contents)
    }

    enum CodingKeys: String, CodingKey { case type, layout, contents, spacing, backgroundColor }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode("box", forKey: .type)
        try c.encode(layout.rawValue, forKey: .layout)
        try c.encode(contents, forKey: .contents)
        try c.encodeIfPresent(spacing, forKey: .spacing)
        try c.encodeIfPresent(backgroundColor, forKey: .backgroundColor)
    }

    var texts: [String] {
        contents.flatMap { component -> [String] in
            switch component {
            case .text(let t): [t.text]
            case .box(let b): b.texts
            case .button(let b): [b.action.label]
            case .separator: []
            }
        }
    }
}

public enum FlexComponent: Encodable, Sendable, Equatable {
    case text(FlexText)
    case box(FlexBox)
    case button(FlexButton)
    case separator

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .text(let t): try t.encode(to: encoder)
        case .box(let b): try b.encode(to: encoder)
        case .button(let b): try b.encode(to: encoder)
        case .separator:
            var c = encoder.container(keyedBy: FlexText.CodingKeys.self)
            try c.encode("separator", forKey: .type)
        }
    }
}

public struct FlexText: Encodable, Sendable, Equatable {
    public var text: String
    public var size: String?
    public var weight: String?
    public var color: String?
    public var flex: Int?
    public var wrap: Bool

    public init(_ text: String, size: String? = nil, bold: Bool = false, color: String? = nil, flex: Int? = nil, wrap: Bool = true) {
        // LINE refuses an empty text component.
        self.text = text.isEmpty ? "-" : text
        self.size = size
        self.weight = bold ? "bold" : nil
        self.color = color
        self.flex = flex
        self.wrap = wrap
    }

    enum CodingKeys: String, CodingKey { case type, text, size, weight, color, flex, wrap }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode("text", forKey: .type)
        try c.encode(text, forKey: .text)
        try c.encodeIfPresent(size, forKey: .size)
        try c.encodeIfPresent(weight, forKey: .weight)
        try c.encodeIfPresent(color, forKey: .color)
        try c.encodeIfPresent(flex, forKey: .flex)
        try c.encode(wrap, forKey: .wrap)
    }
}

public struct FlexButton: Encodable, Sendable, Equatable {
    public enum Style: String, Sendable { case primary, secondary, link }

    public var action: LineAction
    public var style: Style
    public var color: String?

    public init(_ action: LineAction, style: Style = .primary, color: String? = nil) {
        self.action = action
        self.style = style
        self.color = color
    }

    enum CodingKeys: String, CodingKey { case type, action, style, color, height }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode("button", forKey: .type)
        try c.encode(action, forKey: .action)
        try c.encode(style.rawValue, forKey: .style)
        try c.encodeIfPresent(color, forKey: .color)
        try c.encode("sm", forKey: .height)
    }
}

public enum LineAction: Encodable, Sendable, Equatable {
    /// Opens a web page (an https URL; LINE's in-app browser).
    case uri(label: String, uri: String)
    /// Sends `data` back to the webhook as a postback event; `displayText` shows in the chat as if typed.
    case postback(label: String, data: String, displayText: String?)

    public var label: String {
        switch self {
        case .uri(let label, _), .postback(let label, _, _): label
        }
    }

    enum CodingKeys: String, CodingKey { case type, label, uri, data, displayText }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .uri(let label, let uri):
            try c.encode("uri", forKey: .type)
            try c.encode(label.lineFitted(40, ellipsis: true), forKey: .label)
            try c.encode(uri, forKey: .uri)
        case .postback(let label, let data, let displayText):
            try c.encode("postback", forKey: .type)
            try c.encode(label.lineFitted(40, ellipsis: true), forKey: .label)
            try c.encode(data.lineFitted(300), forKey: .data)
            try c.encodeIfPresent(displayText.map { $0.lineFitted(300) }, forKey: .displayText)
        }
    }
}

/// A quick-reply button: a postback, a text sent as if typed, or LINE's camera, photo roll and location pickers.
public struct LineQuickReply: Encodable, Sendable, Equatable {
    public enum Action: Sendable, Equatable {
        case postback(data: String, displayText: String)
        case message(text: String)
        case camera
        case cameraRoll
        case location
    }

    public var label: String
    public var action: Action

    public init(_ label: String, _ action: Action) {
        self.label = label
        self.action = action
    }

    enum CodingKeys: String, CodingKey { case type, action }
    enum ActionKeys: String, CodingKey { case type, label, data, displayText, text }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode("action", forKey: .type)
        var a = c.nestedContainer(keyedBy: ActionKeys.self, forKey: .action)
        // LINE takes at most 20 characters on a quick-reply button (UTF-16 units: a Thai vowel or tone mark is one).
        try a.encode(label.lineFitted(20, ellipsis: true), forKey: .label)
        switch action {
        case .postback(let data, let displayText):
            try a.encode("postback", forKey: .type)
            try a.encode(data.lineFitted(300), forKey: .data)
            try a.encode(displayText.lineFitted(300), forKey: .displayText)
        case .message(let text):
            try a.encode("message", forKey: .type)
            try a.encode(text.lineFitted(300), forKey: .text)
        case .camera: try a.encode("camera", forKey: .type)
        case .cameraRoll: try a.encode("cameraRoll", forKey: .type)
        case .location: try a.encode("location", forKey: .type)
        }
    }
}

extension String {
    /// At most `limit` UTF-16 units (how LINE counts text length), cut before a whole character.
    public func linePrefix(utf16 limit: Int) -> String {
        guard utf16.count > limit else { return self }
        var out = ""
        var used = 0
        for ch in self {
            let n = ch.utf16.count
            if used + n > limit { break }
            out.append(ch)
            used += n
        }
        return out
    }
}

extension String {
    /// At most `limit` UTF-16 units, which is how LINE counts a field's length (a Thai vowel or tone mark is one,
    /// most emoji two), cut between characters; with `ellipsis`, a cut one ends in "…" within the limit.
    public func lineFitted(_ limit: Int, ellipsis: Bool = false) -> String {
        guard utf16.count > limit else { return self }
        let room = ellipsis ? limit - 1 : limit
        var used = 0
        var out = ""
        for ch in self {
            let n = ch.utf16.count
            guard used + n <= room else { break }
            used += n
            out.append(ch)
        }
        return ellipsis ? out + "…" : out
    }
}
