// Thin libcurl layer used by Client: one-shot requests and a pull-based streaming body.
// Every handle shares one CURLSH (connections, DNS, TLS sessions) guarded by mutexes, so
// connections are reused across requests and threads. Redirects are never followed here:
// the caller decides (so it can drop Authorization when the host changes).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hutch/common/error.hpp"

namespace hutch::registry::http {

/// TLS material beyond the system's (podman's --cert-dir).
struct TlsFiles {
    std::string caPem;               ///< PEM CA certificates trusted besides the system's ("" = none)
    std::string certFile, keyFile;   ///< PEM client certificate and its key ("" = none)
};

/// Reads a --cert-dir as containers/image does: every *.crt is a CA certificate (added to
/// the system bundle), a *.cert with its *.key (same base name) the client identity. A
/// missing directory gives empty TlsFiles. Throws SysError for an unreadable file,
/// InvalidArgument naming the file for a *.cert without its *.key (or the reverse).
TlsFiles readCertDir(const std::string& dir);

struct Request {
    std::string method = "GET";        ///< GET, HEAD, POST, PUT, PATCH or DELETE
    std::string url;
    std::vector<std::string> headers;  ///< "Name: value"
    std::string postBody;              ///< sent when method == POST, PUT or PATCH (bodyFd < 0)
    /// PUT/PATCH body from a file instead: bodyLength bytes at bodyOffset of bodyFd (read
    /// with pread, so a retried request sends the same bytes again).
    int bodyFd = -1;
    int64_t bodyOffset = 0, bodyLength = 0;
    bool verifyTls = true;
    const TlsFiles* tls = nullptr;     ///< extra CAs / client certificate (must outlive the request)
    size_t maxBody = 16u << 20;        ///< perform(): larger bodies fail (bytes)
};

struct Response {
    long status = 0;
    std::vector<std::pair<std::string, std::string>> headers;  ///< in order, names as sent
    std::string body;
    /// Last value of header `name` (case-insensitive), "" if absent.
    std::string header(std::string_view name) const;
    std::vector<std::string> headerAll(std::string_view name) const;
};

/// A transport-level failure (DNS, connect, TLS, reset, timeout). status() is 0.
/// retryable() is true for dropped connections and timeouts; tlsFailure() for handshake
/// and certificate errors (the insecure https -> http fallback keys on those and on
/// connection-level failures).
class TransportError : public RegistryError {
public:
    TransportError(int curlCode, bool retryable, const std::string& msg)
        : RegistryError(0, "", msg), curlCode_(curlCode), retryable_(retryable) {}
    int curlCode() const { return curlCode_; }
    bool retryable() const { return retryable_; }

private:
    int curlCode_;
    bool retryable_;
};

/// Seconds without a single byte received after which a request fails (libcurl's
/// CURLOPT_LOW_SPEED_LIMIT 1 byte/s over CURLOPT_LOW_SPEED_TIME; also the connect timeout):
/// $HUTCH_REGISTRY_STALL_TIMEOUT when it is a positive integer, else 60. Read at each
/// request. Throws InvalidArgument naming the variable when it is set to anything else.
long stallTimeoutSeconds();

/// One request, body collected in memory. Throws TransportError; never follows redirects.
Response perform(const Request& req);

/// A response whose body is pulled on demand. The constructor starts the transfer and
/// returns once the status line and headers are in (or the transfer ended). Memory use
/// is bounded (the transfer is paused when ~1 MiB is waiting) whatever the body size.
class Stream {
public:
    explicit Stream(const Request& req);
    ~Stream();
    Stream(const Stream&) = delete;
    Stream& operator=(const Stream&) = delete;

    long status() const;
    std::string header(std::string_view name) const;
    /// Up to n body bytes; 0 at the end of the body. Throws TransportError.
    size_t read(void* buf, size_t n);
    /// The rest of the body, at most `max` bytes (more are dropped).
    std::string readAll(size_t max);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

/// "scheme://host[:port]" of a URL ("" if it has none).
std::string origin(std::string_view url);
/// Resolves a Location header against the URL it came from (absolute, "//host/..",
/// "/path" or relative).
std::string resolveLocation(std::string_view base, std::string_view location);
/// Percent-encodes a query component.
std::string urlEncode(std::string_view s);

}  // namespace hutch::registry::http
