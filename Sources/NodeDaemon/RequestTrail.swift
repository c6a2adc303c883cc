import Logging

/// What every log line of a request carries: the request's id and the instance it is about.
/// Task-local, so the lines of the manager and the hooks (run on the blocking executor, which
/// keeps task locals) carry them too, through the logging system's metadata provider.
public enum RequestTrail {
    @TaskLocal public static var requestID: String?
    @TaskLocal public static var instance: String?

    /// Give this to `LoggingSystem.bootstrap`.
    public static let metadataProvider = Logger.MetadataProvider {
        var metadata: Logger.Metadata = [:]
        if let requestID { metadata["request"] = "\(requestID)" }
        if let instance { metadata["instance"] = "\(instance)" }
        return metadata
    }
}
