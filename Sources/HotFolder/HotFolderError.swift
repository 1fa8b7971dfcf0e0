import Foundation

/// Errors raised by the HotFolder module.
public enum HotFolderError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A system call failed; `call` names it and `path` is its operand.
    case systemCall(call: String, path: String, errno: Int32)
    /// The state folder is on another file system than the inbox, so `rename` cannot claim atomically.
    case crossDevice(inbox: String, stateDirectory: String)
    /// A file that a job moves back into the inbox already exists there.
    case destinationExists(path: String)
    /// `job.json` could not be decoded.
    case invalidJobRecord(path: String, reason: String)
    /// The inotify instance could not be created.
    case inotifyUnavailable(errno: Int32)

    public var description: String {
        switch self {
        case .systemCall(let call, let path, let errno):
            "\(call) failed on '\(path)': \(errnoDescription(errno))"
        case .crossDevice(let inbox, let stateDirectory):
            "state folder '\(stateDirectory)' is on another file system than inbox '\(inbox)'; "
                + "claims need an atomic rename, so put the state folder on the inbox's file system"
        case .destinationExists(let path):
            "cannot move the job back because '\(path)' already exists in the inbox; "
                + "move or rename that file, then release the job again"
        case .invalidJobRecord(let path, let reason):
            "invalid job record '\(path)': \(reason)"
        case .inotifyUnavailable(let errno):
            "inotify could not be initialised: \(errnoDescription(errno)); "
                + "check fs.inotify.max_user_instances"
        }
    }
}

/// Returns the C library's text for `errno`, for example "No such file or directory".
func errnoDescription(_ errno: Int32) -> String {
    guard let text = strerror(errno) else { return "errno \(errno)" }
    return String(cString: text)
}
