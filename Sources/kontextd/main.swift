import DaemonSupport
import FluxEngine
import Foundation

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Prints a line on standard error.
func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}

OpenBLASRestart.restartIfNeeded()

let arguments = CommandLine.arguments.dropFirst()
let command = arguments.first ?? "help"
if ["run", "edit", "engine"].contains(command) {
    // These commands may run the native engine; the daemon trims the heap after every job.
    EngineMemory.retainFreedMemory()
}
let rest = arguments.dropFirst()
let logger = Logger(label: "kontextd", level: .info, handler: StderrLogHandler.makeDefault())

let status: Int32
do {
    switch command {
    case "run":
        status = try await RunCommand(rest).run(logger: logger)
    case "check":
        status = try CheckCommand(rest).run()
    case "edit":
        status = try await EditCommand(rest).run(logger: logger)
    case "status":
        status = try StatusCommand(rest).run()
    case "retry":
        status = try RetryCommand(rest).run(logger: logger)
    case "engine":
        status = try EngineCommand(rest).run()
    case "help", "--help", "-h":
        let topic = rest.first
        print(topic.flatMap(Help.text(for:)) ?? Help.overview)
        status = 0
    case "--version":
        print("kontextd \(KontextdVersion.current)")
        status = 0
    default:
        printError("kontextd: unknown command '\(command)'; see 'kontextd help'")
        status = 64
    }
} catch let error as UsageError {
    printError("\(error)")
    status = 64
} catch {
    printError("kontextd \(command): \(error)")
    status = 1
}
// Leave without running library destructors: OpenBLAS's joins its worker threads and can wait forever
// when the process stops while an engine thread is still inside a GEMM. Every file the daemon writes
// is flushed and synced where it is written; only the standard streams need flushing here.
fflush(nil)
_exit(status)
