/// When a failed outbox job is tried again: exponential backoff with a cap, and a last attempt.
public struct RetryPolicy: Sendable, Equatable {
    public var baseDelaySeconds: Double
    public var maxDelaySeconds: Double
    public var maxAttempts: Int

    public init(baseDelaySeconds: Double = 5, maxDelaySeconds: Double = 3600, maxAttempts: Int = 8) {
        self.baseDelaySeconds = baseDelaySeconds
        self.maxDelaySeconds = maxDelaySeconds
        self.maxAttempts = maxAttempts
    }

    /// Delay before the next try after `attempts` failed tries (1-based), jitter in 0...1 spreads retries (±20%).
    public func delay(afterAttempts attempts: Int, jitter: Double) -> Double {
        let exponent = Double(max(0, attempts - 1))
        let raw = min(maxDelaySeconds, baseDelaySeconds * pow2(exponent))
        return raw * (0.8 + 0.4 * min(max(jitter, 0), 1))
    }

    /// Whether a job that has now failed `attempts` times should be kept as failed.
    public func isExhausted(afterAttempts attempts: Int) -> Bool { attempts >= maxAttempts }

    private func pow2(_ e: Double) -> Double {
        var r = 1.0
        var i = 0.0
        while i < e, r < 1e12 { r *= 2; i += 1 }
        return r
    }
}
