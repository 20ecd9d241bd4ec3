/// What LINE posts to a webhook: the bot's user id and a list of events. Only the fields this service reads
/// are modelled; LINE adds fields over time and they are ignored.
public struct LineWebhookBody: Codable, Sendable, Equatable {
    public var destination: String?
    public var events: [LineEvent]

    public init(destination: String?, events: [LineEvent]) {
        self.destination = destination
        self.events = events
    }
}

public struct LineEvent: Codable, Sendable, Equatable {
    public struct Source: Codable, Sendable, Equatable {
        public var type: String
        public var userId: String?

        public init(type: String, userId: String?) {
            self.type = type
            self.userId = userId
        }
    }

    public struct DeliveryContext: Codable, Sendable, Equatable {
        public var isRedelivery: Bool?
    }

    public struct Message: Codable, Sendable, Equatable {
        /// Where an image's bytes are: `line` (LINE's content endpoint) or `external` (a URL of the sender's).
        public struct ContentProvider: Codable, Sendable, Equatable {
            public var type: String
        }

        /// Images sent together: each is its own event, `index` of `total`.
        public struct ImageSet: Codable, Sendable, Equatable {
            public var id: String?
            public var index: Int?
            public var total: Int?
        }

        public var type: String
        public var id: String?
        public var text: String?
        public var contentProvider: ContentProvider?
        public var imageSet: ImageSet?
        /// A location message: the place's name and address as LINE gives them, and its coordinates.
        public var title: String?
        public var address: String?
        public var latitude: Double?
        public var longitude: Double?

        public init(type: String, id: String? = nil, text: String? = nil) {
            self.type = type
            self.id = id
            self.text = text
        }
    }

    public struct Postback: Codable, Sendable, Equatable {
        public var data: String
    }

    public struct Link: Codable, Sendable, Equatable {
        public var result: String
        public var nonce: String?
    }

    /// follow, unfollow, message, postback, accountLink, and others this service ignores.
    public var type: String
    public var mode: String?
    public var timestamp: Int64?
    public var source: Source?
    public var webhookEventId: String?
    public var deliveryContext: DeliveryContext?
    public var replyToken: String?
    public var message: Message?
    public var postback: Postback?
    public var link: Link?

    public init(
        type: String, source: Source?, webhookEventId: String?, replyToken: String? = nil, message: Message? = nil,
        postback: Postback? = nil, link: Link? = nil
    ) {
        self.type = type
        self.source = source
        self.webhookEventId = webhookEventId
        self.replyToken = replyToken
        self.message = message
        self.postback = postback
        self.link = link
    }

    /// The user the event is from, when it comes from a one-to-one chat with a user.
    public var userID: String? {
        guard source?.type == "user", let id = source?.userId, LineUserID.isValid(id) else { return nil }
        return id
    }
}

public enum LineUserID {
    /// "U" and 32 lowercase hex digits, as LINE gives them.
    public static func isValid(_ id: String) -> Bool {
        let u = Array(id.utf8)
        return u.count == 33 && u[0] == UInt8(ascii: "U") && u.dropFirst().allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }
}
