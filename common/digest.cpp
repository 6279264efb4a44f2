#include "hutch/common/digest.hpp"

#include <openssl/evp.h>

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

const EVP_MD* mdFor(std::string_view algo) {
    if (algo == "sha256") return EVP_sha256();
    if (algo == "sha512") return EVP_sha512();
    return nullptr;
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

struct Hasher::Impl {
    EVP_MD_CTX* ctx = nullptr;
    ~Impl() {
        if (ctx) EVP_MD_CTX_free(ctx);
    }
};

Hasher::Hasher(std::string_view algorithm) : impl_(std::make_unique<Impl>()), algorithm_(algorithm) {
    const EVP_MD* md = mdFor(algorithm);
    if (!md) throw InvalidArgument("unsupported digest algorithm \"" + std::string(algorithm) + "\"");
    impl_->ctx = EVP_MD_CTX_new();
    if (!impl_->ctx || EVP_DigestInit_ex(impl_->ctx, md, nullptr) != 1)
        throw Error("OpenSSL: cannot initialise " + algorithm_);
}

Hasher::~Hasher() = default;
Hasher::Hasher(Hasher&&) noexcept = default;
Hasher& Hasher::operator=(Hasher&&) noexcept = default;

void Hasher::update(const void* data, size_t len) {
    if (len == 0) return;
    EVP_DigestUpdate(impl_->ctx, data, len);
    size_ += len;
}

Digest Hasher::finish() {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_DigestFinal_ex(impl_->ctx, out, &n);
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
