import Dispatch
import Foundation

/// Maps over an array on all cores (blocking the caller). For start-up work only, never on an event loop.
enum ParallelMap {
    static func map<T: Sendable, R>(_ items: [T], _ transform: (T) -> R) -> [R] {
        if items.count < 16 { return items.map(transform) }
        let results = UnsafeMutableBufferPointer<R?>.allocate(capacity: items.count)
        results.initialize(repeating: nil)
        defer { results.deallocate() }
        let chunks = ProcessInfo.processInfo.activeProcessorCount * 4
        let chunkSize = (items.count + chunks - 1) / chunks
        nonisolated(unsafe) let out = results
        withoutActuallyEscaping(transform) { transform in
            nonisolated(unsafe) let f = transform
            DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                let start = chunk * chunkSize
                let end = min(start + chunkSize, items.count)
                guard start < end else { return }
                for i in start..<end { out[i] = f(items[i]) }
            }
        }
        return results.map { $0! }
    }
}
