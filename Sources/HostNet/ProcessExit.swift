import CLinux
import Foundation

/// Waits for a process that is not our child (qemu daemonizes) to exit, on a pidfd: the kernel
/// wakes the wait at the exit, so nothing spins. Kernels before 5.3 (no pidfd) are polled.
public enum ProcessExit {
    /// Waits until `pid` is gone (or a zombie, per `isGone`), up to `timeout`; true if it went.
    public static func wait(_ pid: pid_t, timeout: Duration, isGone: () -> Bool) -> Bool {
        if isGone() { return true }
        let deadline = ContinuousClock.now + timeout
        let fd = clinux_pidfd_open(pid)
        if fd >= 0 {
            defer { close(fd) }
            // Readable at the exit; a zombie is readable too.
            while true {
                let left = max(deadline - ContinuousClock.now, .zero)
                let milliseconds = left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000
                var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                let ready = poll(&entry, 1, Int32(clamping: milliseconds + 1))
                if ready > 0 { return true }
                if ready == 0 || errno != EINTR { return isGone() }
            }
        }
        while !isGone() {
            if ContinuousClock.now >= deadline { return false }
            usleep(20_000)
        }
        return true
    }
}
