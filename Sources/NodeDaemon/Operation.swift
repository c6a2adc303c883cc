import DaemonAPI
import Foundation
import QEMU

/// An operation a client asked to run in the background (`?async=true`): answered at once with
/// 202 and this, then followed at `GET /v1/operations/{id}` (with `?wait=S` to wait for its
/// end). `result` and `http_status` are what the synchronous answer would have been; a failure
/// is the same problem document.
struct Operation: Codable, Sendable {
    enum Status: String, Codable, Sendable { case running, succeeded, failed }

    var id: String
    /// `start`, `stop`, `reboot`, `cleanup`.
    var kind: String
    var instance: String?
    /// The caller's reason trail.
    var reason: String?
    var status: Status
    /// Seconds since the epoch.
    var created: Double
    var finished: Double?
    var httpStatus: Int?
    var result: JSONValue?
    var problem: Problem?
}
