import DaemonAPI
import Foundation
import FuzzTargets
import Testing

/// The request bodies the daemon takes and refuses, as an orchestrator sees them.
@Suite("API request bodies")
struct APIBodyTests {
    static func seed(_ file: String) throws -> [UInt8] {
        let input = Array(try Data(contentsOf: URL(fileURLWithPath: FuzzTargets.corpus("api-body") + "/" + file)))
        return Array(input[(input.firstIndex(of: 0x0a)! + 1)...])
    }

    @Test func theSeedsAreTakenNotRefused() throws {
        let accept = try APIBody.require(AcceptRequest.self, try Self.seed("accept"), path: "/")
        let (info, listen) = try accept.checked(name: "web1.example.org", path: "/")
        #expect(info.instance == "web1.example.org")
        #expect(listen.description == "10.98.0.2:8102")
        let migrate = try APIBody.require(MigrateRequest.self, try Self.seed("migrate-https"), path: "/")
        let (_, settings) = try migrate.checked(path: "/")
        #expect(settings.bandwidth == 100 && settings.postcopy)
        #expect(
            try migrate.targetDaemon?.checked()
                == .https(base: "https://10.98.0.2:8443", token: "s3cret", caFile: "/etc/taphouse/ca.pem"))
        let stop = try APIBody.decode(StopRequest.self, try Self.seed("stop"), path: "/")
        #expect(stop == StopRequest(timeout: 60, force: true, reason: "maintenance-42"))
        #expect(try APIBody.decode(StopRequest.self, try Self.seed("reboot-empty"), path: "/") == nil)
    }

    /// A timeout of 1e300 seconds once trapped converting to milliseconds: the daemon died on
    /// one request. Now it is a 400 naming the field.
    @Test(arguments: [1e300, -1, -1e300, .nan, 86_401])
    func aTimeoutOutOfRangeIsRefusedNamingIt(_ seconds: Double) throws {
        #expect {
            _ = try APIBody.duration(seconds, field: "timeout", fallback: 60, path: "/v1/instances/a/finalize")
        } throws: { error in
            let problem = error as? Problem
            return problem?.status == 400 && problem?.detail.hasPrefix("timeout: ") == true
                && problem?.instance == "/v1/instances/a/finalize"
        }
        #expect(try APIBody.duration(nil, field: "timeout", fallback: 60, path: "/") == .seconds(60))
    }

    @Test func aMigrationInfoForAnotherInstanceIsRefusedNamingTheField() throws {
        let accept = try APIBody.require(AcceptRequest.self, try Self.seed("accept"), path: "/")
        #expect {
            _ = try accept.checked(name: "db1.example.org", path: "/v1/instances/db1.example.org/accept")
        } throws: { error in
            (error as? Problem)?.detail == "migration_info.instance: web1.example.org is not db1.example.org"
        }
    }
}
