import Backends
import DaemonSupport
import EditPipeline
import Foundation
import Imaging
import LocalBackend
import Recipes

/// Finds and reads the daemon configuration.
enum ConfigurationLoader {
    /// Reads `explicitPath`, or the default path when it exists. Without either it returns a
    /// configuration with no watches and the built-in fill backend, which `kontextd edit` can use.
    static func load(explicitPath: String?) throws(RecipesError) -> DaemonConfiguration {
        if let explicitPath {
            return try DaemonConfiguration.load(from: explicitPath)
        }
        if FileManager.default.fileExists(atPath: DaemonConfiguration.defaultPath) {
            return try DaemonConfiguration.load(from: DaemonConfiguration.defaultPath)
        }
        return DaemonConfiguration(watches: [])
    }

    /// Reads the daemon's configuration for a command that needs its watches (`status`, `retry`):
    /// `explicitPath`, or the default path. A missing default file names `--config` as the fix.
    static func loadDaemonConfiguration(explicitPath: String?) throws(RecipesError) -> DaemonConfiguration {
        let path = explicitPath ?? DaemonConfiguration.defaultPath
        if explicitPath == nil, !FileManager.default.fileExists(atPath: path) {
            throw .unreadable(path: path, reason: "no such file; pass --config with the daemon's configuration file")
        }
        return try DaemonConfiguration.load(from: path)
    }
}

extension DaemonConfiguration {
    var pipelineSettings: PipelineSettings {
        PipelineSettings(decodeLimits: DecodeLimits(maxMegapixels: maxMegapixels), defaultBackend: defaultBackend)
    }
}

/// Turns the configured backends into running engines.
enum BackendFactory {
    static func makeRegistry(_ configuration: DaemonConfiguration, logger: Logger) throws -> BackendRegistry {
        var backends: [any EditBackend] = []
        for backend in configuration.backends {
            switch backend.kind {
            case .fill:
                backends.append(BuiltinFillBackend(name: backend.name))
            case .comfyui:
                backends.append(try makeComfyUIBackend(backend, logger: logger))
            case .hosted:
                backends.append(try makeHostedBackend(backend, logger: logger))
            case .local:
                backends.append(LocalBackend(name: backend.name, options: backend.local ?? LocalBackendOptions()))
            }
        }
        return BackendRegistry(backends)
    }
}
