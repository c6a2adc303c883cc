/// What the console rules decide from: the instance as it runs, and how its node is reached.
///
/// The caller fills it in from the instance spec (name, `network_port`, `primary_node`), the
/// hypervisor parameters the instance runs with, and the node's ssh settings; `command` is the
/// argv that attaches to the serial console on that node (`taphouse instance console NAME` with
/// the caller's own path and options), given rather than looked up so that the rules stay pure.
public struct ConsoleInput: Sendable, Hashable {
    /// The instance name.
    public var instance: String
    /// The host name of the node the instance runs on: where ssh goes for a serial console.
    public var primaryNode: String
    /// The instance's VNC or SPICE port (`network_port` of the spec); `nil` when it has none.
    public var networkPort: Int?
    /// The hypervisor parameters the instance runs with.
    public var hvparams: HVParams
    /// The argv that attaches to the serial console when run on `primaryNode`.
    public var command: [String]
    /// The ssh user for the node (Ganeti's `SSH_CONSOLE_USER`, default `root`).
    public var sshUser: String
    /// The node's ssh port (Ganeti's ndparam `ssh_port`, default 22).
    public var sshPort: Int

    /// Creates an input; the ssh user and port default to Ganeti's `root` and 22.
    public init(
        instance: String, primaryNode: String, networkPort: Int?, hvparams: HVParams, command: [String],
        sshUser: String = "root", sshPort: Int = 22
    ) {
        self.instance = instance
        self.primaryNode = primaryNode
        self.networkPort = networkPort
        self.hvparams = hvparams
        self.command = command
        self.sshUser = sshUser
        self.sshPort = sshPort
    }
}
