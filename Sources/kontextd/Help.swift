/// The help text of each command.
enum Help {
    static let overview = """
        kontextd: an unattended Flux Kontext image-edit daemon for hot folders.

        Usage: kontextd <command> [options]

        Commands:
          run       Watch the configured inboxes and process jobs (the systemd service).
          check     Validate the configuration, recipes and sidecars; print every problem.
          edit      Run one job from the command line through the same pipeline.
          status    Show queue depth, running jobs, recent failures and per-folder state.
          retry     Move failed jobs back into their inbox.
          engine    Run the native Flux engine on its own (engine denoise).
          help      Show help for a command.

        Every command takes --config PATH (default /etc/kontextd/kontextd.yaml).
        """

    static let run = """
        Usage: kontextd run [--config PATH]

        Watches every inbox in the configuration and runs the edit pipeline on each job. Speaks the
        systemd notify protocol (READY, STATUS, WATCHDOG, RELOADING, STOPPING). SIGHUP reloads the
        configuration and recipes; SIGTERM stops intake, lets running jobs finish within the stop
        timeout and returns unfinished ones to their inbox.
        """

    static let check = """
        Usage: kontextd check [--config PATH] [SIDECAR_OR_RECIPE...]

        Validates the configuration, every folder recipe under every inbox and every sidecar waiting
        there, or only the files given, and prints each problem as `file:line:column: message`.
        Exits 0 when everything is valid and 1 otherwise.
        """

    static let edit = """
        Usage: kontextd edit INPUT -o OUTPUT [options]

        Runs one job through the daemon's pipeline and writes the result to OUTPUT. The extension of
        OUTPUT (.jpg, .png, .webp) sets the format, over any `output.format` in the sidecar; other
        extensions keep the sidecar's or the input's format. Exits non-zero with the reason on failure.

        Options:
          -o, --output PATH   where to write the result (required; an existing file is not replaced)
          --sidecar PATH      an instruction file (YAML), as dropped beside an image
          --prompt TEXT       the edit instruction
          --mask PATH         a mask image (white = edit), the same size as the upright input
          --size SIZE         keep, kontext, WIDTHxHEIGHT or W:H
          --backend NAME      a backend from the configuration (default: the configured default)
          --seed N            a fixed seed
          --log PATH          also write the job log (JSON) to PATH
          --config PATH       the daemon configuration for backends and limits (optional here)
        """

    static let status = """
        Usage: kontextd status [--config PATH] [--json]

        Prints what the running daemon last wrote to its status file: queue depth, running jobs,
        recent failures and per-folder counts. With --json, prints the status file itself.
        """

    static let retry = """
        Usage: kontextd retry [--config PATH] [--all | JOB_ID...]

        Moves the files of failed jobs from the failed folder back into the inbox folder they came
        from (sidecar and masks first, the image last), where the daemon picks them up again. The
        failed job's folder, with its error report, is then removed.
        """

    static func text(for command: String) -> String? {
        switch command {
        case "run": run
        case "check": check
        case "edit": edit
        case "status": status
        case "retry": retry
        case "engine": EngineCommand.help
        default: nil
        }
    }
}
