import Foundation

/// The seam the fault matrix injects through (`Tests/TaphouseCLITests/FaultMatrixTests.swift`,
/// `docs/reliability.md`): a named point on an operation's way (`start.spawned`,
/// `stop.halted`, ...) where, when `TAPHOUSE_FAULT=POINT:ACTION` names it, the process
///
/// - `fail`s as a refusal of the node would (the operation's own rollback must answer it);
/// - `exit`s at once with SIGKILL, as a crash, a killed CLI or a killed daemon would;
/// - `kill-qemu`s: the instance's qemu gets SIGKILL (qemu dying at that moment);
/// - `fill`s the state directory's file system, so that the writes after it meet a real ENOSPC.
///
/// Compiled into debug builds (the tests') only: a release build reads no variable and has no
/// seam, so nothing on a node can reach it.
enum FaultPoint {
    /// The file `fill` writes, left for the test to remove.
    static let filler = ".fault-fill"

    static func reach(_ point: String, _ files: InstanceFiles) throws(InstanceError) {
        #if DEBUG
        guard let setting = ProcessInfo.processInfo.environment["TAPHOUSE_FAULT"],
            let colon = setting.lastIndex(of: ":"), setting[..<colon] == point
        else { return }
        switch setting[setting.index(after: colon)...] {
        case "fail":
            throw InstanceError(
                .node, files.name, String(point.prefix { $0 != "." }), step: point, "a fault injected at \(point)")
        case "exit":
            kill(getpid(), SIGKILL)
            while true { pause() }
        case "kill-qemu":
            // Where qemu is still initialising (start.up: the launcher has not returned) its pid
            // file comes a moment later, later still on a loaded machine: waited for, so that
            // the fault always meets a qemu.
            var found = QemuProcess.find(pidFile: files.pidFile)
            let deadline = ContinuousClock.now + .seconds(30)
            while found == nil, ContinuousClock.now < deadline {
                usleep(20_000)
                found = QemuProcess.find(pidFile: files.pidFile)
            }
            if let qemu = found {
                kill(qemu.pid, SIGKILL)
                _ = qemu.waitForExit(.seconds(10))
            }
        case "fill":
            let fd = open(files.state.path + "/" + filler, O_WRONLY | O_CREAT | O_APPEND, 0o600)
            guard fd >= 0 else { return }
            defer { close(fd) }
            let block = [UInt8](repeating: 0, count: 1 << 16)
            while block.withUnsafeBytes({ write(fd, $0.baseAddress, $0.count) }) > 0 {}
            // The last partial block: the file system is full to the byte.
            while write(fd, block, 1) > 0 {}
        default:
            return
        }
        #endif
    }
}
