/// A command line split into options, flags and positional arguments, checked against what a
/// command accepts.
struct ParsedArguments {
    var options: [String: String] = [:]
    var flags: Set<String> = []
    var positionals: [String] = []

    /// Parses `arguments` for `command`, which takes the options in `valued` (each followed by a
    /// value, as `--name value` or `--name=value`) and the flags in `flags`.
    init(_ arguments: ArraySlice<String>, command: String, valued: Set<String>, flags allowedFlags: Set<String>) throws(UsageError) {
        var remaining = arguments[...]
        while let argument = remaining.popFirst() {
            if argument == "--" {
                positionals += remaining
                break
            }
            guard argument.hasPrefix("-"), argument != "-" else {
                positionals.append(argument)
                continue
            }
            let parts = argument.split(separator: "=", maxSplits: 1).map(String.init)
            let name = parts[0]
            if valued.contains(name) {
                if parts.count == 2 {
                    options[name] = parts[1]
                } else if let value = remaining.popFirst() {
                    options[name] = value
                } else {
                    throw UsageError("option '\(name)' needs a value", command: command)
                }
            } else if allowedFlags.contains(name) && parts.count == 1 {
                flags.insert(name)
            } else {
                throw UsageError("unknown option '\(argument)'", command: command)
            }
        }
    }
}

/// A command line that does not fit the command; printed with a pointer to the help.
struct UsageError: Error, CustomStringConvertible {
    var message: String
    var command: String

    init(_ message: String, command: String) {
        self.message = message
        self.command = command
    }

    var description: String {
        "kontextd \(command): \(message); see 'kontextd help \(command)'"
    }
}
