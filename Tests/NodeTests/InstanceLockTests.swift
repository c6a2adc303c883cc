import Foundation
import HostNet
import TestSupport
import Testing

@testable import Node

/// The instance lock waits in the kernel for its holder to let go: a holder that closes its
/// file, or dies, lets the waiter in; one that keeps it makes the wait fail at its timeout,
/// naming the lock.
@Suite("The instance lock")
struct InstanceLockTests {
    @Test func aWaiterGetsTheLockWhenItsHolderLetsGo() throws {
        let folder = TemporaryFolder()
        let path = folder.path + "/lock/web1"
        _ = try InstanceLock.acquire(path, timeout: .seconds(1))  // makes the folder
        // Another operation's hold: a descriptor with the lock, closed a moment later.
        let held = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        try #require(held >= 0 && flock(held, LOCK_EX | LOCK_NB) == 0)
        Thread {
            usleep(300_000)
            close(held)
        }.start()
        let clock = ContinuousClock()
        let start = clock.now
        _ = try InstanceLock.acquire(path, timeout: .seconds(20))
        print("the waiter got the lock after \(clock.now - start)")
    }

    @Test func aHolderThatDiesLetsTheWaiterIn() throws {
        let folder = TemporaryFolder()
        let path = folder.path + "/lock/web1"
        _ = try InstanceLock.acquire(path, timeout: .seconds(1))  // makes the folder
        // -o: the lock is flock's own, not inherited by the command it waits for.
        let holder = try ProcessSpawn.spawn(
            ["/usr/bin/flock", "-x", "-o", path, "/bin/sleep", "5"], ProcessSpawn.Options())
        defer { waitpid(holder, nil, 0) }
        // Until the holder has it, the lock is free: wait for that first.
        let deadline = ContinuousClock.now + .seconds(10)
        while (try? InstanceLock.acquire(path, timeout: .zero)) != nil {
            try #require(ContinuousClock.now < deadline, "flock never took the lock")
            usleep(10_000)
        }
        Thread {
            usleep(300_000)
            kill(holder, SIGKILL)
        }.start()
        _ = try InstanceLock.acquire(path, timeout: .seconds(20))
    }

    @Test func aLockKeptByItsHolderFailsTheWaitAtItsTimeoutNamingIt() throws {
        let folder = TemporaryFolder()
        let path = folder.path + "/lock/web1"
        let held = try InstanceLock.acquire(path, timeout: .seconds(1))
        #expect(throws: NodeError.self) { try InstanceLock.acquire(path, timeout: .milliseconds(200)) }
        do {
            _ = try InstanceLock.acquire(path, timeout: .milliseconds(100))
        } catch {
            #expect(error.description.contains("another operation on this instance holds \(path)"))
        }
        withExtendedLifetime(held) {}
    }

    /// A name tried once leaves no file; a waiter that opened the file before its holder
    /// unlinked it takes the lock on the file that is there now, so that two operations never
    /// hold the instance at once.
    @Test func theFileGoesWithItsHolderAndAWaiterLocksTheCurrentOne() throws {
        let folder = TemporaryFolder()
        let path = folder.path + "/lock/web1"
        do {
            _ = try InstanceLock.acquire(path, timeout: .seconds(1))
        }
        #expect(!FileManager.default.fileExists(atPath: path), "the lock file outlived its holder")

        final class Box: @unchecked Sendable { var lock: InstanceLock? }
        var first: InstanceLock? = try InstanceLock.acquire(path, timeout: .seconds(1))
        let second = Box()
        let done = DispatchSemaphore(value: 0)
        Thread {
            second.lock = try? InstanceLock.acquire(path, timeout: .seconds(20))
            done.signal()
        }.start()
        usleep(300_000)  // the waiter has opened the first holder's file
        withExtendedLifetime(first) {}
        first = nil
        #expect(done.wait(timeout: .now() + 20) == .success)
        #expect(second.lock != nil)
        #expect(FileManager.default.fileExists(atPath: path))
        // The second holds the file at the path: a third is refused, not let in beside it.
        #expect(throws: NodeError.self) { try InstanceLock.acquire(path, timeout: .milliseconds(100)) }
        second.lock = nil
        #expect(!FileManager.default.fileExists(atPath: path))
    }
}
