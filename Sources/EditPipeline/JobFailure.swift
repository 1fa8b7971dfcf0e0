/// The stage of a job in which something went wrong; it heads the error report.
public enum JobStage: String, Sendable, Codable {
    case intake
    case instruction
    case decode
    case mask
    case prepare
    case backend
    case encode
    case deliver
}

/// Why a job did not produce its outputs.
///
/// `message` already names the offending value and says what to do; the daemon copies it verbatim
/// into the error report and the job log.
public struct JobFailure: Error, Sendable, Equatable, CustomStringConvertible {
    public var stage: JobStage
    public var message: String
    /// Worth retrying later with the same input (server down, timeout, disk full).
    public var isTransient: Bool

    public init(stage: JobStage, message: String, isTransient: Bool = false) {
        self.stage = stage
        self.message = message
        self.isTransient = isTransient
    }

    public var description: String { "\(stage.rawValue): \(message)" }
}
