#ifndef KONTEXTD_COPENSSL_SHIM_H
#define KONTEXTD_COPENSSL_SHIM_H

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

/// Sets the SNI host name. `SSL_set_tlsext_host_name` is a macro over `SSL_ctrl`, so Swift cannot call it.
static inline int kontextd_SSL_set_tlsext_host_name(SSL *ssl, const char *name) {
    return (int)SSL_set_tlsext_host_name(ssl, name);
}

/// Sets the lowest protocol version. `SSL_CTX_set_min_proto_version` is a macro over `SSL_CTX_ctrl`.
static inline int kontextd_SSL_CTX_set_min_proto_version(SSL_CTX *context, int version) {
    return (int)SSL_CTX_set_min_proto_version(context, version);
}

/// Lets a retried `SSL_write_ex` pass the same bytes from a different address, because a Swift array's
/// storage address is not stable across calls. `SSL_CTX_set_mode` is a macro over `SSL_CTX_ctrl`.
static inline void kontextd_SSL_CTX_accept_moving_write_buffer(SSL_CTX *context) {
    SSL_CTX_set_mode(context, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
}

/// The minimum protocol version that the client accepts: TLS 1.2.
static const int kontextd_TLS1_2_VERSION = TLS1_2_VERSION;

#endif
