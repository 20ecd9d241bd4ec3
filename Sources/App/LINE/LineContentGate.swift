import Vapor

/// How many LINE photos one process fetches at once. The webhook's events arrive in bursts (a group of citizens each
/// sending a photo within a second), and the worker's batch would fetch all of them together: a burst of megabytes
/// through the network, the spool and the disk that takes the CPU from the webhook's answers. In turn, in order,
/// the same photos arrive a little later each and the webhook keeps its pace. One at a time: `make bench`'s 150 LINE
/// complaints with a 3.6 MB photo (50 events/s) gave a webhook p99 of 29–44 ms with no gate, 16–20 ms with two
/// permits and 14.5–15.6 ms with one, the tracking number's p95 growing from 0.11–0.20 s to 0.20–0.21 s.
actor LineContentGate {
    static let permits = 1

    private var free: Int
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(permits: Int = LineContentGate.permits) { free = max(1, permits) }

    /// Runs `body` once a permit is free (first come, first served).
    nonisolated func run<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        await enter()
        do {
            let result = try await body()
            await leave()
            return result
        } catch {
            await leave()
            throw error
        }
    }

    private func enter() async {
        if free > 0 {
            free -= 1
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    private func leave() {
        if waiting.isEmpty { free += 1 } else { waiting.removeFirst().resume() }
    }
}

extension Application {
    struct LineContentGateKey: StorageKey { typealias Value = LineContentGate }

    /// Set in `configure` (one per application).
    var lineContentGate: LineContentGate? { storage[LineContentGateKey.self] }
}
