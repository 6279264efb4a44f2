// Content digests (OCI image-spec "descriptor.md#digests") and streaming SHA-256.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace hutch {

/// A digest "algorithm:encoded". Only sha256 and sha512 can be computed; any algorithm
/// matching the grammar parses.
struct Digest {
    std::string algorithm;  ///< e.g. "sha256"
    std::string encoded;    ///< lower-case hex for sha256/sha512

    /// Parses and validates "algo:hex" per image-spec digest grammar; for sha256 the
    /// encoded part must be 64 lower-case hex chars, for sha512 128.
    /// Throws InvalidArgument naming the bad string.
    static Digest parse(std::string_view s);
    /// True when parse(s) would succeed.
    static bool valid(std::string_view s);
    /// sha256 of the given bytes.
    static Digest sha256Of(std::string_view data);

    std::string str() const { return algorithm + ":" + encoded; }
    bool empty() const { return encoded.empty(); }
    bool operator==(const Digest&) const = default;
};

/// Incremental hasher for one algorithm (sha256 or sha512), OpenSSL EVP underneath.
class Hasher {
public:
    /// Throws InvalidArgument for an algorithm that cannot be computed.
    explicit Hasher(std::string_view algorithm = "sha256");
    ~Hasher();
    Hasher(Hasher&&) noexcept;
    Hasher& operator=(Hasher&&) noexcept;
    Hasher(const Hasher&) = delete;
    Hasher& operator=(const Hasher&) = delete;

    void update(const void* data, size_t len);
    void update(std::string_view s) { update(s.data(), s.size()); }
    /// Total bytes fed so far.
    uint64_t size() const { return size_; }
    /// Finishes and returns the digest; the hasher cannot be updated afterwards.
    Digest finish();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
    std::string algorithm_;
    uint64_t size_ = 0;
};

}  // namespace hutch
