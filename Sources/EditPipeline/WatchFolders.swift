public import Recipes

/// The folders of one watch: where jobs arrive, where results and failures go, and the daemon's state.
public typealias WatchFolders = DaemonConfiguration.Watch

/// The policy for a job's original files once its outputs are durable.
public typealias OriginalsPolicy = DaemonConfiguration.Originals
