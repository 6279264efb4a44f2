// Registry client for the OCI distribution-spec v2 pull API (spec.md "Pulling manifests",
// "Pulling blobs") with Docker's token authentication, on libcurl.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "hutch/common/digest.hpp"
#include "hutch/registry/auth.hpp"
#include "hutch/registry/http.hpp"

namespace hutch::registry {

/// How to reach one registry.
struct ClientOptions {
    std::string host;        ///< "registry.example.com", "127.0.0.1:5000" (no scheme)
    /// false: https with certificate verification. true: https without verification,
    /// falling back to plain http when https fails (as containers/image does).
    bool insecure = false;
    /// Credentials; when unset and readAuthFiles, lookupCredentials(host) is used.
    std::optional<Credentials> creds;
    bool readAuthFiles = true;
    /// podman's --cert-dir: *.crt CAs trusted besides the system's, a *.cert/*.key client
    /// pair (http::readCertDir; "" = none).
    std::string certDir;
    int maxTries = 3;                                   ///< attempts per request (>= 1)
    std::chrono::milliseconds retryBase{200};           ///< backoff: base, 2*base, 4*base...
    std::chrono::milliseconds maxRetryAfter{10000};     ///< cap on a 429's Retry-After
};

/// A blob body being downloaded. read() hands out bytes as they arrive; size and digest
/// are checked as they stream, and read() returns 0 only once both matched.
class BlobReader {
public:
    virtual ~BlobReader();
    /// Copies up to n bytes into buf; returns 0 at the end after verification. Throws
    /// DigestMismatch (naming the digest) when the content is larger/smaller than the
    /// descriptor's size or hashes differently; RegistryError on transport failure.
    virtual size_t read(void* buf, size_t n) = 0;
};

/// A manifest as fetched: raw bytes (digests are over these), its kind's media type, and
/// its digest (verified against the reference when fetched by digest, and against the
/// registry's Docker-Content-Digest header when it sent one).
struct FetchedManifest {
    std::string body;
    std::string mediaType;
    Digest digest;
};

/// Client for one registry host. Thread-safe: all methods may be called concurrently
/// (connections, DNS and TLS sessions are shared process-wide; tokens are cached per
/// scope). Errors: RegistryError(status, code, "<host>/<repo>: <message>") for an HTTP
/// error (AuthError for 401/403), status 0 for transport failures; DigestMismatch.
/// 5xx, 429 and dropped connections are retried with exponential backoff.
class Client {
public:
    explicit Client(ClientOptions opts);
    ~Client();
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    const std::string& host() const;

    /// Verifies the credentials as `login` does: GET /v2/ with them (Basic, or a bearer token
    /// asked for without a scope). Returns when the registry accepts them or asks for none.
    /// Throws AuthError when it refuses them, RegistryError for anything else (an unreachable
    /// registry: "pinging container registry HOST: ...").
    void checkCredentials();

    /// GET /v2/<repo>/manifests/<tagOrDigest> accepting OCI manifest/index and Docker
    /// schema 2 manifest/list. Schema 1 is refused (Error "manifest schema 1 ... is not
    /// supported"). Bodies over 4 MiB are refused.
    FetchedManifest getManifest(const std::string& repo, const std::string& tagOrDigest);

    /// Whole blob in memory (configs): GET /v2/<repo>/blobs/<digest>, verified. size < 0
    /// means unknown (digest still checked); at most 64 MiB.
    std::string getBlob(const std::string& repo, const Digest& digest, int64_t size);

    /// Streams a blob (layers) without buffering it: memory stays bounded (~1 MiB) however
    /// big the blob. Follows redirects to other hosts without our Authorization header;
    /// a connection dropped or stalled mid-body is resumed with a Range request (at most
    /// maxTries - 1 times per blob, so a registry that keeps stalling fails the pull).
    /// Throws at open for HTTP errors (e.g. 404 BLOB_UNKNOWN).
    std::unique_ptr<BlobReader> openBlob(const std::string& repo, const Digest& digest, int64_t size);

    /// One request for the upload side (registry/upload.hpp): `req.url` is a path on the
    /// registry ("/v2/...") or an absolute URL (an upload session's Location). Adds the
    /// Authorization for `scope` (bearer token scopes, space-separated, e.g.
    /// "repository:a:pull,push repository:b:pull"; basic credentials otherwise), re-authenticates
    /// once on 401, retries 5xx/429/dropped connections; follows no redirects. Returns the
    /// final response whatever its status. Throws RegistryError (status 0) for transport errors.
    http::Response send(const std::string& repo, const std::string& scope, http::Request req);
    /// Throws the RegistryError/AuthError for an error response (the registry's error JSON
    /// message, "<host>/<repo>: ..."); `what` describes the request when the body has none.
    [[noreturn]] void throwFor(const std::string& repo, const http::Response& r, const std::string& what) const;

    struct Impl;

private:
    std::shared_ptr<Impl> impl_;
};

}  // namespace hutch::registry
