import DaemonAPI
import Foundation
import QEMU

/// The background operations: each runs in a task of its own; the finished ones are kept (the
/// newest ``finishedLimit``) for clients that come back for them. A client waits for one's end
/// on a continuation, woken by the end or by its own timeout: nothing polls.
actor OperationStore {
    static let finishedLimit = 256
    /// The longest `?wait=` honoured.
    static let longestWait: Duration = .seconds(300)

    private var operations: [String: Operation] = [:]
    private var finishedOrder: [String] = []
    private var waiters: [String: [UUID: CheckedContinuation<Void, Never>]] = [:]

    /// Starts `body` in the background as `kind` on `instance`; returns the operation, running.
    func begin(
        kind: String, instance: String?, reason: String?,
        _ body: @escaping @Sendable () async -> (status: Int, outcome: Result<JSONValue, Problem>)
    ) -> Operation {
        let id = UUID().uuidString.lowercased()
        let operation = Operation(
            id: id, kind: kind, instance: instance, reason: reason, status: .running,
            created: Date().timeIntervalSince1970)
        operations[id] = operation
        // A child of nothing: it outlives the request that asked for it, with its task locals
        // (the request id on its log lines).
        Task {
            let (status, outcome) = await body()
            self.finish(id, status: status, outcome)
        }
        return operation
    }

    func get(_ id: String) -> Operation? { operations[id] }

    func all() -> [Operation] { operations.values.sorted { $0.created < $1.created } }

    /// The operation once it ended, or as it is after `timeout`.
    func wait(_ id: String, timeout: Duration) async -> Operation? {
        guard let operation = operations[id], operation.status == .running, timeout > .zero else {
            return operations[id]
        }
        let key = UUID()
        let bound = min(timeout, Self.longestWait)
        await withCheckedContinuation { continuation in
            waiters[id, default: [:]][key] = continuation
            Task {
                try? await Task.sleep(for: bound)
                self.wake(id, key)
            }
        }
        return operations[id]
    }

    private func wake(_ id: String, _ key: UUID) {
        waiters[id]?.removeValue(forKey: key)?.resume()
    }

    private func finish(_ id: String, status: Int, _ outcome: Result<JSONValue, Problem>) {
        guard var operation = operations[id] else { return }
        operation.finished = Date().timeIntervalSince1970
        operation.httpStatus = status
        switch outcome {
        case .success(let result):
            operation.status = .succeeded
            operation.result = result
        case .failure(let problem):
            operation.status = .failed
            operation.problem = problem
        }
        operations[id] = operation
        finishedOrder.append(id)
        if finishedOrder.count > Self.finishedLimit {
            for old in finishedOrder.prefix(finishedOrder.count - Self.finishedLimit) { operations[old] = nil }
            finishedOrder.removeFirst(finishedOrder.count - Self.finishedLimit)
        }
        for continuation in (waiters.removeValue(forKey: id) ?? [:]).values { continuation.resume() }
    }
}
