/// The version printed by `kontextd --version` and written to job logs.
enum KontextdVersion {
    static let current = "0.1.0"
}
