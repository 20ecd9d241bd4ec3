/// Officers' identity verification: the queue, one citizen's review and decision, the watermarked images.
enum IdentityReviewRoutes {
    static func register(_ r: BackOfficeRouter) {
        let identity = IdentityReviewController()
        r.get(.identityQueue, use: identity.queue)
        r.get(.identityReview, use: identity.review)
        r.post(.identityReview, use: identity.decide)
        r.get(.identityImage, use: identity.image)
        // Requests to close an account: the same officers decide them.
        let closing = ClosingReviewController()
        r.get(.closingQueue, use: closing.queue)
        r.get(.closingReview, use: closing.review)
        r.post(.closingReview, use: closing.decide)
    }
}
