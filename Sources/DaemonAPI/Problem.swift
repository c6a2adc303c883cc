import Foundation
import Node

/// An error answer as RFC 9457 `application/problem+json`: the standard members, and the
/// instance's name, the step, the hook's `file:line` and qemu's error class where they apply.
public struct Problem: Error, Codable, Sendable, Equatable {
    public var type: String
    public var title: String
    public var status: Int
    public var detail: String
    /// The RFC's own member: the request path this occurrence answers.
    public var instance: String?
    /// taphouse's code (``InstanceError/Code`` or `bad-request`, `too-large`, ...).
    public var code: String
    public var instanceName: String?
    public var operation: String?
    public var step: String?
    public var hookFile: String?
    public var hookLine: Int?
    public var qemuErrorClass: String?
    public var undoFailures: [String]?

    public init(status: Int, code: String, title: String, detail: String, path: String? = nil) {
        self.type = "urn:taphouse:problem:\(code)"
        self.title = title
        self.status = status
        self.detail = detail
        self.instance = path
        self.code = code
    }

    public init(_ error: InstanceError, path: String) {
        let status =
            switch error.code {
            case .notFound: 404
            case .busy: 409
            case .invalidSpec: 400
            case .node: 422
            case .qemu, .migration: 502
            case .cancelled, .conflict: 409
            case .timeout: 504
            case .hook, .state: 500
            }
        self.init(
            status: status, code: error.code.rawValue, title: "\(error.operation) \(error.instance): \(error.step)",
            detail: error.description, path: path)
        instanceName = error.instance
        operation = error.operation
        step = error.step
        hookFile = error.hookLocation?.file
        hookLine = error.hookLocation?.line ?? nil
        qemuErrorClass = error.qemuErrorClass
        undoFailures = error.undoFailures.isEmpty ? nil : error.undoFailures
    }
}
