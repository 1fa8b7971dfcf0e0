internal import COpenSSL
import Synchronization

/// One configured `SSL_CTX`: TLS 1.2 or later, peer verification against the system store plus an
/// optional CA file. Contexts are cached per configuration, because loading the system store parses
/// every CA certificate in it.
///
/// NOTE: A cached context keeps the CA file's contents from its first use, so a changed CA file takes
/// effect after the daemon restarts.
final class TLSContext: @unchecked Sendable {
    // @unchecked: OpenSSL allows creating connections from one SSL_CTX on many threads once it is
    // configured, and this class never changes the context after `init`.
    let context: OpaquePointer

    private static let cache = Mutex<[TLSConfiguration: TLSContext]>([:])

    private init(_ configuration: TLSConfiguration) throws(TLSError) {
        guard let context = SSL_CTX_new(TLS_client_method()) else {
            throw .setupFailed(message: "SSL_CTX_new: \(TLSContext.takeErrorMessage())")
        }
        self.context = context
        guard kontextd_SSL_CTX_set_min_proto_version(context, kontextd_TLS1_2_VERSION) == 1 else {
            throw .setupFailed(message: "SSL_CTX_set_min_proto_version: \(TLSContext.takeErrorMessage())")
        }
        kontextd_SSL_CTX_accept_moving_write_buffer(context)
        SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nil)
        guard SSL_CTX_set_default_verify_paths(context) == 1 else {
            throw .setupFailed(message: "loading the system CA store failed: \(TLSContext.takeErrorMessage())")
        }
        if let path = configuration.caFile {
            guard SSL_CTX_load_verify_locations(context, path, nil) == 1 else {
                throw .caFileInvalid(path: path, message: TLSContext.takeErrorMessage())
            }
        }
    }

    deinit {
        SSL_CTX_free(context)
    }

    /// Returns the cached context for `configuration`, creating it on first use.
    static func shared(for configuration: TLSConfiguration) throws(TLSError) -> TLSContext {
        if let cached = cache.withLock({ $0[configuration] }) { return cached }
        let created = try TLSContext(configuration)
        return cache.withLock { contexts in
            if let raced = contexts[configuration] { return raced }
            contexts[configuration] = created
            return created
        }
    }

    /// Removes and joins the messages on this thread's OpenSSL error queue, oldest first.
    static func takeErrorMessage() -> String {
        var messages: [String] = []
        while case let code = ERR_get_error(), code != 0 {
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            messages.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return messages.isEmpty ? "no OpenSSL error reported" : messages.joined(separator: "; ")
    }
}
