// The push side of the OCI distribution spec (spec.md "Pushing blobs": existence check,
// cross-repository mount, monolithic and chunked uploads; "Pushing manifests") on the
// pull client's HTTP, auth and retry machinery (registry/client.hpp).
#pragma once

#include <cstdint>
#include <string>

#include "hutch/common/digest.hpp"
#include "hutch/registry/client.hpp"

namespace hutch::registry {

/// Uploads to one repository of one registry. Bearer tokens are asked for with the scope
/// "repository:<repo>:pull,push" (plus "repository:<from>:pull" for a mount); basic auth as
/// for pull. Errors: RegistryError(status, code, "<host>/<repo>: <message>"), AuthError for
/// 401/403, status 0 for transport failures.
class Uploader {
public:
    /// `client` must outlive the uploader. `repo` is the repository path ("pushtest/busybox").
    Uploader(Client& client, std::string repo);

    /// Blobs larger than this are sent in PATCH chunks of this size (bytes); smaller ones in
    /// one PUT. Default 32 MiB.
    void setChunkSize(int64_t bytes) { chunk_ = bytes > 0 ? bytes : chunk_; }

    /// HEAD /v2/<repo>/blobs/<digest>: true on 200, false on 404. Throws on other statuses.
    bool blobExists(const Digest& digest);

    /// POST /v2/<repo>/blobs/uploads/?mount=<digest>&from=<fromRepo>: true when the registry
    /// mounted the blob (201). False when it cannot (202: it opened an upload session
    /// instead, which is cancelled; 404/401/403 on the source). Throws on other errors.
    bool mountBlob(const Digest& digest, const std::string& fromRepo);

    /// Uploads `size` bytes read from `fd` (pread from offset 0) as blob `digest`: a POST
    /// session, then one PUT ?digest= (size <= chunk size) or PATCH chunks with Content-Range
    /// followed by a closing PUT ?digest=. Throws RegistryError when the registry refuses
    /// (e.g. DIGEST_INVALID when the bytes do not hash to `digest`).
    void uploadBlob(const Digest& digest, int fd, int64_t size);
    /// The same from memory (configs).
    void uploadBlob(const Digest& digest, const std::string& bytes);

    /// PUT /v2/<repo>/manifests/<reference> (a tag or a digest) with Content-Type
    /// `mediaType`. Returns the digest of `body` (sha256); throws DigestMismatch when the
    /// registry's Docker-Content-Digest header names another.
    Digest putManifest(const std::string& reference, const std::string& mediaType, const std::string& body);

    /// The uploads done so far (for tests and --log-level debug): chunked PATCH requests sent.
    int patchesSent() const { return patches_; }

private:
    std::string pushScope() const;
    /// POST /v2/<repo>/blobs/uploads/ and returns the session Location.
    std::string startSession();
    void upload(const Digest& digest, int fd, const std::string* mem, int64_t size);

    Client& client_;
    std::string repo_;
    int64_t chunk_ = 32ll << 20;
    int patches_ = 0;
};

}  // namespace hutch::registry
