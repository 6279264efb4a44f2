#include "hutch/common/digest.hpp"

#include <nettle/sha2.h>

#include <variant>

#include "hutch/common/error.hpp"

namespace hutch {
namespace {

bool isLowerHex(std::string_view s) {
    for (char c : s)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    return true;
}

// algorithm-component ::= [a-z0-9]+ ; separators [+._-]
bool validAlgorithm(std::string_view a) {
    if (a.empty()) return false;
    bool prevSep = true;
    for (char c : a) {
        bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        bool sep = c == '+' || c == '.' || c == '_' || c == '-';
        if (!alnum && !sep) return false;
        if (sep && prevSep) return false;
        prevSep = sep;
    }
    return !prevSep;
}

bool validEncoded(std::string_view e) {
    if (e.empty()) return false;
    for (char c : e) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '=' || c == '_' || c == '-';
        if (!ok) return false;
    }
    return true;
}


}  // namespace

bool Digest::valid(std::string_view s) {
    auto colon = s.find(':');
    if (colon == std::string_view::npos) return false;
    auto algo = s.substr(0, colon), enc = s.substr(colon + 1);
    if (!validAlgorithm(algo) || !validEncoded(enc)) return false;
    if (algo == "sha256") return enc.size() == 64 && isLowerHex(enc);
    if (algo == "sha512") return enc.size() == 128 && isLowerHex(enc);
    return true;
}

Digest Digest::parse(std::string_view s) {
    if (!valid(s)) throw InvalidArgument("invalid digest \"" + std::string(s) + "\"");
    auto colon = s.find(':');
    return Digest{std::string(s.substr(0, colon)), std::string(s.substr(colon + 1))};
}

Digest Digest::sha256Of(std::string_view data) {
    Hasher h("sha256");
    h.update(data);
    return h.finish();
}

// Nettle (the library GnuTLS and libarchive already use here) rather than OpenSSL: the same
// SHA-NI code paths at a fraction of the start-up cost (libcrypto alone was 3.4 MiB resident in
// every hutch process).
struct Hasher::Impl {
    std::variant<sha256_ctx, sha512_ctx> ctx;
};

Hasher::Hasher(std::string_view algorithm) : impl_(std::make_unique<Impl>()), algorithm_(algorithm) {
    if (algorithm == "sha256") {
        impl_->ctx.emplace<sha256_ctx>();
        sha256_init(&std::get<sha256_ctx>(impl_->ctx));
    } else if (algorithm == "sha512") {
        impl_->ctx.emplace<sha512_ctx>();
        sha512_init(&std::get<sha512_ctx>(impl_->ctx));
    } else {
        throw InvalidArgument("unsupported digest algorithm \"" + std::string(algorithm) + "\"");
    }
}

Hasher::~Hasher() = default;
Hasher::Hasher(Hasher&&) noexcept = default;
Hasher& Hasher::operator=(Hasher&&) noexcept = default;

void Hasher::update(const void* data, size_t len) {
    if (len == 0) return;
    auto* p = static_cast<const uint8_t*>(data);
    if (auto* c = std::get_if<sha256_ctx>(&impl_->ctx))
        sha256_update(c, len, p);
    else
        sha512_update(&std::get<sha512_ctx>(impl_->ctx), len, p);
    size_ += len;
}

Digest Hasher::finish() {
    uint8_t out[SHA512_DIGEST_SIZE];
    unsigned n = 0;
    if (auto* c = std::get_if<sha256_ctx>(&impl_->ctx))
        sha256_digest(c, n = SHA256_DIGEST_SIZE, out);
    else
        sha512_digest(&std::get<sha512_ctx>(impl_->ctx), n = SHA512_DIGEST_SIZE, out);
    static const char* hex = "0123456789abcdef";
    std::string enc;
    enc.reserve(n * 2);
    for (unsigned i = 0; i < n; ++i) {
        enc.push_back(hex[out[i] >> 4]);
        enc.push_back(hex[out[i] & 15]);
    }
    return Digest{algorithm_, enc};
}

}  // namespace hutch
