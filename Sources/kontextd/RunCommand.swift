import DaemonSupport
import Recipes

/// `kontextd run`: the daemon in the foreground, as systemd starts it.
struct RunCommand {
    var configPath: String?

    init(_ arguments: ArraySlice<String>) throws(UsageError) {
        let parsed = try ParsedArguments(arguments, command: "run", valued: ["--config"], flags: [])
        guard parsed.positionals.isEmpty else {
            throw UsageError("unexpected argument '\(parsed.positionals[0])'", command: "run")
        }
        configPath = parsed.options["--config"]
    }

    func run(logger baseLogger: Logger) async -> Int32 {
        let configuration: DaemonConfiguration
        do {
            configuration = try ConfigurationLoader.load(explicitPath: configPath ?? DaemonConfiguration.defaultPath)
        } catch {
            for diagnostic in error.diagnostics(file: configPath ?? DaemonConfiguration.defaultPath) {
                printError(diagnostic.description)
            }
            baseLogger.critical("Configuration is invalid; run 'kontextd check' for every problem")
            return 78
        }
        guard !configuration.watches.isEmpty else {
            baseLogger.critical("Configuration has no watches; add one under `watches:` with inbox, outbox, failed and state folders")
            return 78
        }
        let overlaps = configuration.physicalOverlaps()
        guard overlaps.isEmpty else {
            for problem in overlaps { printError("\(configPath ?? DaemonConfiguration.defaultPath): error: \(problem)") }
            baseLogger.critical("Configuration is invalid; run 'kontextd check' for every problem")
            return 78
        }
        var logger = baseLogger
        logger.logLevel = configuration.logLevel
        do {
            let daemon = try Daemon(configuration: configuration, configPath: configPath ?? DaemonConfiguration.defaultPath, logger: logger)
            return await daemon.run()
        } catch {
            logger.critical("Daemon could not start", ["error": "\(error)"])
            return 1
        }
    }
}
