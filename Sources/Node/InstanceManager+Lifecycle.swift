import Foundation
import Hooks
import QEMU

/// The lifecycle hook's calls (`instance.lua`, design 4.7): a failing `pre_*` stops its
/// operation with the hook's message; a failing `post_*` (or `nic_*`) is reported and the
/// operation stands. What the calls change is undone when the instance's files go
/// (``clean(_:_:reason:)``), after `post_stop`.
extension InstanceManager {
    /// The call for `event` with the instance as `spec` and `runtime` have it (either may be
    /// missing: a cleanup after a runtime that does not read), and its taps.
    func lifecycleCall(
        _ event: LifecycleEvent, _ files: InstanceFiles, spec: InstanceSpec?, runtime: QemuRuntime?
    ) -> LifecycleHookCall {
        let spec = spec ?? savedSpec(files)
        let nics = runtime?.nics ?? spec?.nics ?? []
        var interfaces: [Int: String] = [:]
        for index in nics.indices { interfaces[index] = tapName(files, index) }
        return LifecycleHookCall(
            event, instance: files.name, uuid: spec?.uuid ?? "", tags: spec?.tags ?? [],
            memory: spec?.beparams.maxmem, vcpus: spec?.beparams.vcpus, nics: nics, interfaces: interfaces,
            disks: runtime?.disks ?? spec?.disks ?? [])
    }

    /// A `pre_*` call: its failure is the operation's, with the hook's `file:line` and message.
    func refusingLifecycle(_ call: LifecycleHookCall, _ operation: String) throws(InstanceError) {
        do {
            try hookCalls.lifecycle(call)
        } catch {
            throw InstanceError(
                call.instance, operation, step: "instance.lua \(call.event.rawValue)", caused: error, else: .hook)
        }
    }

    /// A `post_*` (or `nic_*`) call: its failure is reported (logged, and told to
    /// ``onLifecycleFailure``), and the operation stands.
    func reportingLifecycle(_ call: LifecycleHookCall) {
        do {
            try hookCalls.lifecycle(call)
        } catch {
            logger.warning(
                "instance.lua \(call.event.rawValue) failed: \(error)", metadata: ["instance": "\(call.instance)"])
            onLifecycleFailure?(call, error)
        }
    }

    /// `post_stop` (where the instance stopped, with why) and then the undo of everything its
    /// lifecycle calls changed.
    func endLifecycle(_ files: InstanceFiles, reason: String?, runtime: QemuRuntime?) -> [String] {
        if let reason {
            var call = lifecycleCall(.postStop, files, spec: nil, runtime: runtime)
            call.reason = reason
            reportingLifecycle(call)
        }
        do {
            try hookCalls.finishLifecycle(instance: files.name)
            return []
        } catch {
            return ["lifecycle journal: \(error)"] + error.undoFailures
        }
    }

    func savedSpec(_ files: InstanceFiles) -> InstanceSpec? {
        FileManager.default.contents(atPath: files.spec).flatMap { try? InstanceSpec.parse(json: $0) }
    }
}
