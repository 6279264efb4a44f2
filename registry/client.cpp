#include "hutch/registry/client.hpp"

#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>
#include <unordered_map>

#include "hutch/common/error.hpp"
#include "hutch/common/fsutil.hpp"
#include "hutch/common/log.hpp"
#include "hutch/registry/http.hpp"
#include "hutch/registry/manifest.hpp"

namespace hutch::registry {

using namespace std::chrono;

BlobReader::~BlobReader() = default;

namespace {

constexpr size_t kMaxManifest = 4u << 20;
constexpr size_t kMaxErrorBody = 64u << 10;
constexpr int kMaxRedirects = 10;

bool isRedirect(long s) {
    return s == 301 || s == 302 || s == 303 || s == 307 || s == 308;
}

bool retryableStatus(long s) {
    return s == 429 || (s >= 500 && s <= 599);
}

}  // namespace

struct Client::Impl : std::enable_shared_from_this<Client::Impl> {
    ClientOptions opts;
    std::mutex mu;
    bool pinged = false;
    std::string base;            // "https://host" or "http://host"
    bool verifyTls = true;
    std::optional<Challenge> challenge;
    struct Token {
        std::string value;
        steady_clock::time_point expires;
    };
    std::unordered_map<std::string, Token> tokens;   // by scope

    http::TlsFiles tls;   // from opts.certDir

    explicit Impl(ClientOptions o) : opts(std::move(o)) {
        if (opts.maxTries < 1) opts.maxTries = 1;
        tls = http::readCertDir(opts.certDir);
        if (!opts.creds && opts.readAuthFiles) opts.creds = lookupCredentials(opts.host);
    }

    std::string where(const std::string& repo) const {
        return repo.empty() ? opts.host : opts.host + "/" + repo;
    }

    milliseconds backoff(int attempt) const {
        return opts.retryBase * (1 << std::min(attempt - 1, 10));
    }

    milliseconds delayFor(long status, const std::string& retryAfter, int attempt) const {
        if (status == 429 && !retryAfter.empty()) {
            char* end = nullptr;
            long secs = std::strtol(retryAfter.c_str(), &end, 10);
            if (end && *end == '\0' && secs >= 0)
                return std::min<milliseconds>(seconds(secs), opts.maxRetryAfter);
        }
        return backoff(attempt);
    }

    // Turns an error response into the exception to throw.
    [[noreturn]] void throwHttp(const std::string& repo, long status, const std::string& body,
                                const std::string& what) const {
        std::string code, msg;
        try {
            auto j = nlohmann::json::parse(body);
            if (j.contains("errors") && j["errors"].is_array() && !j["errors"].empty()) {
                const auto& e = j["errors"][0];
                code = e.value("code", "");
                msg = e.value("message", "");
                if (msg.empty()) msg = code;
            }
        } catch (...) {
        }
        if (msg.empty()) msg = what + ": HTTP " + std::to_string(status);
        std::string full = where(repo) + ": " + msg;
        if (status == 401 || status == 403) {
            if (status == 401 && !opts.creds) full += " (authentication required; no credentials found)";
            throw AuthError(static_cast<int>(status), full);
        }
        throw RegistryError(static_cast<int>(status), code, full);
    }

    // ---- ping and auth ----

    http::Response pingOnce(const std::string& b, bool verify) {
        http::Request req;
        req.url = b + "/v2/";
        req.verifyTls = verify;
        req.tls = &tls;
        req.maxBody = kMaxErrorBody;
        for (int attempt = 1;; ++attempt) {
            try {
                auto r = http::perform(req);
                if (retryableStatus(r.status) && attempt < opts.maxTries) {
                    std::this_thread::sleep_for(delayFor(r.status, r.header("Retry-After"), attempt));
                    continue;
                }
                return r;
            } catch (const http::TransportError& e) {
                if (!e.retryable() || attempt >= opts.maxTries) throw;
                std::this_thread::sleep_for(backoff(attempt));
            }
        }
    }

    void adoptChallenge(const std::vector<std::string>& headers) {
        for (const auto& h : headers)
            for (auto& c : parseChallenges(h))
                if (c.scheme == "bearer" || (c.scheme == "basic" && !(challenge && challenge->scheme == "bearer")))
                    challenge = c;
    }

    // Caller holds mu.
    void ensurePingedLocked() {
        if (pinged) return;
        std::vector<std::pair<std::string, bool>> tries;
        tries.emplace_back("https://" + opts.host, !opts.insecure);
        if (opts.insecure) tries.emplace_back("http://" + opts.host, false);
        std::string lastErr;
        for (const auto& [b, verify] : tries) {
            try {
                auto r = pingOnce(b, verify);
                base = b;
                verifyTls = verify;
                if (r.status == 401) adoptChallenge(r.headerAll("WWW-Authenticate"));
                else if (retryableStatus(r.status))
                    throw RegistryError(static_cast<int>(r.status), "",
                                        "pinging container registry " + opts.host + ": HTTP " + std::to_string(r.status));
                log::debug("registry {}: using {} (auth: {})", opts.host, base, challenge ? challenge->scheme : "none");
                pinged = true;
                return;
            } catch (const http::TransportError& e) {
                lastErr = e.what();
                log::debug("registry {}: {} failed: {}", opts.host, b, lastErr);
                // OpenSSL's word for a plain-HTTP answer to the TLS handshake.
                if (verify && lastErr.find("wrong version number") != std::string::npos)
                    lastErr += " (the server answers plain HTTP, as to an HTTPS client; it is used over HTTP only "
                               "with --tls-verify=false or insecure = true for it in registries.conf)";
            }
        }
        throw RegistryError(0, "", "pinging container registry " + opts.host + ": " + lastErr);
    }

    std::string basicHeader() const {
        return "Authorization: Basic " + base64Encode(opts.creds->username + ":" + opts.creds->password);
    }

    // Caller holds mu. Gets (or reuses) a bearer token for `scope`.
    std::string tokenLocked(const std::string& scope) {
        auto now = steady_clock::now();
        if (auto it = tokens.find(scope); it != tokens.end() && it->second.expires > now) return it->second.value;
        const auto& p = challenge->params;
        auto realmIt = p.find("realm");
        if (realmIt == p.end() || realmIt->second.empty())
            throw AuthError(401, opts.host + ": bearer challenge without a realm");
        http::Request req;
        req.verifyTls = verifyTls;
        req.tls = &tls;
        req.maxBody = 1u << 20;
        req.headers.push_back("Accept: application/json");
        std::string service = p.count("service") ? p.at("service") : "";
        if (opts.creds && !opts.creds->identityToken.empty()) {
            // OAuth2 refresh-token grant (docker's identitytoken).
            req.method = "POST";
            req.url = realmIt->second;
            req.headers.push_back("Content-Type: application/x-www-form-urlencoded");
            req.postBody = "grant_type=refresh_token&client_id=hutch&refresh_token=" +
                           http::urlEncode(opts.creds->identityToken) + "&service=" + http::urlEncode(service) +
                           "&scope=" + http::urlEncode(scope);
        } else {
            req.url = realmIt->second + (realmIt->second.find('?') == std::string::npos ? "?" : "&") +
                      "service=" + http::urlEncode(service);
            // Several scopes (push + a mount's source) are space-separated: one parameter each.
            for (const auto& sc : str::split(scope, ' '))
                if (!sc.empty()) req.url += "&scope=" + http::urlEncode(sc);
            if (opts.creds && !opts.creds->username.empty()) req.headers.push_back(basicHeader());
        }
        http::Response r;
        for (int attempt = 1;; ++attempt) {
            try {
                r = http::perform(req);
                if (retryableStatus(r.status) && attempt < opts.maxTries) {
                    std::this_thread::sleep_for(delayFor(r.status, r.header("Retry-After"), attempt));
                    continue;
                }
                break;
            } catch (const http::TransportError& e) {
                if (!e.retryable() || attempt >= opts.maxTries)
                    throw RegistryError(0, "", opts.host + ": getting a token: " + e.what());
                std::this_thread::sleep_for(backoff(attempt));
            }
        }
        if (r.status == 401 || r.status == 403)
            throw AuthError(static_cast<int>(r.status),
                            opts.host + ": " + (opts.creds ? "invalid username/password" : "authentication required") +
                                " (token server " + realmIt->second + " answered " + std::to_string(r.status) + ")");
        if (r.status != 200) throwHttp("", r.status, r.body, "getting a token from " + realmIt->second);
        std::string tok;
        int64_t expiresIn = 60;
        try {
            auto j = nlohmann::json::parse(r.body);
            if (j.contains("token") && j["token"].is_string()) tok = j["token"];
            if (tok.empty() && j.contains("access_token") && j["access_token"].is_string()) tok = j["access_token"];
            if (j.contains("expires_in") && j["expires_in"].is_number_integer()) expiresIn = j["expires_in"];
        } catch (const nlohmann::json::exception&) {
        }
        if (tok.empty()) throw AuthError(401, opts.host + ": token server " + realmIt->second + " sent no token");
        if (expiresIn < 60) expiresIn = 60;
        // Renew a little early.
        tokens[scope] = Token{tok, now + seconds(expiresIn - 10)};
        return tok;
    }

    // The Authorization header for a request about `repo` ("" when none applies).
    std::string authHeader(const std::string& repo, const std::string& scopeOverride = "") {
        std::lock_guard lk(mu);
        if (!challenge) return "";
        if (challenge->scheme == "basic")
            return opts.creds && !opts.creds->username.empty() ? basicHeader() : "";
        if (challenge->scheme != "bearer") return "";
        std::string scope = scopeOverride.empty() ? "repository:" + repo + ":pull" : scopeOverride;
        return "Authorization: Bearer " + tokenLocked(scope);
    }

    // After a 401: learn the challenge, forget the token, return the scope to ask for.
    std::string reauth(const std::string& repo, const std::vector<std::string>& wwwAuth) {
        std::lock_guard lk(mu);
        adoptChallenge(wwwAuth);
        std::string scope = "repository:" + repo + ":pull";
        if (challenge && challenge->params.count("scope")) scope = challenge->params.at("scope");
        tokens.erase(scope);
        tokens.erase("repository:" + repo + ":pull");
        return scope;
    }

    void ensurePinged() {
        std::lock_guard lk(mu);
        ensurePingedLocked();
    }

    // ---- requests ----

    // One logical GET with auth, manual redirects (Authorization only to our origin),
    // retries and one re-authentication. `open` performs one hop and returns the status;
    // `errBody`/`hdr` read the response of the last hop.
    template <typename Hop>
    void run(const std::string& repo, const std::string& path, const std::string& what, Hop&& hop) {
        ensurePinged();
        std::string scopeOverride;
        bool reauthed = false;
        for (int attempt = 1;; ++attempt) {
            std::string url = base + path;
            std::string auth = authHeader(repo, scopeOverride);
            HopResult res;
            try {
                for (int redirects = 0;; ++redirects) {
                    bool sameOrigin = http::origin(url) == base;
                    res = hop(url, sameOrigin ? auth : std::string());
                    if (!isRedirect(res.status) || res.location.empty()) break;
                    if (redirects >= kMaxRedirects)
                        throw RegistryError(static_cast<int>(res.status), "", where(repo) + ": " + what + ": too many redirects");
                    url = http::resolveLocation(url, res.location);
                    log::debug("{}: redirected to {}", what, url);
                }
            } catch (const http::TransportError& e) {
                if (!e.retryable() || attempt >= opts.maxTries)
                    throw RegistryError(0, "", where(repo) + ": " + what + ": " + e.what());
                log::debug("{}: {}; retrying", what, e.what());
                std::this_thread::sleep_for(backoff(attempt));
                continue;
            }
            if (res.status == 401 && !reauthed && !res.wwwAuth.empty()) {
                reauthed = true;
                scopeOverride = reauth(repo, res.wwwAuth);
                --attempt;   // re-authentication is not a failed try
                continue;
            }
            if (retryableStatus(res.status) && attempt < opts.maxTries) {
                auto d = delayFor(res.status, res.retryAfter, attempt);
                log::debug("{}: HTTP {}; retrying in {} ms", what, res.status, d.count());
                std::this_thread::sleep_for(d);
                continue;
            }
            if (res.status == 200 || res.status == 206) return;
            throwHttp(repo, res.status, res.body, what);
        }
    }

    // One request of the upload side: auth (one re-authentication on 401), retries on
    // 5xx/429/dropped connections; no redirects followed. Any final status is returned.
    http::Response send(const std::string& repo, const std::string& scope, http::Request req) {
        ensurePinged();
        if (req.url.rfind("/", 0) == 0) req.url = base + req.url;
        req.verifyTls = verifyTls;
        req.tls = &tls;
        if (req.maxBody == (16u << 20)) req.maxBody = kMaxErrorBody;
        const auto baseHeaders = req.headers;
        std::string scopeNow = scope;
        bool reauthed = false;
        for (int attempt = 1;; ++attempt) {
            req.headers = baseHeaders;
            if (http::origin(req.url) == base)
                if (auto a = authHeader(repo, scopeNow); !a.empty()) req.headers.push_back(a);
            http::Response r;
            try {
                r = http::perform(req);
            } catch (const http::TransportError& e) {
                if (!e.retryable() || attempt >= opts.maxTries)
                    throw RegistryError(0, "", where(repo) + ": " + req.method + " " + req.url + ": " + e.what());
                std::this_thread::sleep_for(backoff(attempt));
                continue;
            }
            if (r.status == 401 && !reauthed && !r.headerAll("WWW-Authenticate").empty()) {
                reauthed = true;
                std::lock_guard lk(mu);
                adoptChallenge(r.headerAll("WWW-Authenticate"));
                tokens.erase(scopeNow);
                --attempt;
                continue;
            }
            if (retryableStatus(r.status) && attempt < opts.maxTries) {
                std::this_thread::sleep_for(delayFor(r.status, r.header("Retry-After"), attempt));
                continue;
            }
            return r;
        }
    }

    void checkCredentials() {
        ensurePinged();
        std::string auth;
        {
            std::lock_guard lk(mu);
            if (!challenge) return;  // /v2/ answered without asking for credentials
            if (challenge->scheme == "bearer")
                auth = "Authorization: Bearer " + tokenLocked("");
            else if (opts.creds && !opts.creds->username.empty())
                auth = basicHeader();
        }
        http::Request req;
        req.url = base + "/v2/";
        req.verifyTls = verifyTls;
        req.tls = &tls;
        req.maxBody = kMaxErrorBody;
        if (!auth.empty()) req.headers.push_back(auth);
        http::Response r;
        for (int attempt = 1;; ++attempt) {
            try {
                r = http::perform(req);
            } catch (const http::TransportError& e) {
                if (!e.retryable() || attempt >= opts.maxTries)
                    throw RegistryError(0, "", "pinging container registry " + opts.host + ": " + e.what());
                std::this_thread::sleep_for(backoff(attempt));
                continue;
            }
            if (retryableStatus(r.status) && attempt < opts.maxTries) {
                std::this_thread::sleep_for(delayFor(r.status, r.header("Retry-After"), attempt));
                continue;
            }
            break;
        }
        if (r.status == 200) return;
        if (r.status == 401 || r.status == 403)
            throw AuthError(static_cast<int>(r.status), opts.host + ": invalid username/password");
        throwHttp("", r.status, r.body, "GET /v2/");
    }

    struct HopResult {
        long status = 0;
        std::string location, retryAfter, body;
        std::vector<std::string> wwwAuth;
    };

    http::Response get(const std::string& repo, const std::string& path, const std::vector<std::string>& headers,
                       size_t maxBody, const std::string& what) {
        http::Response out;
        run(repo, path, what, [&](const std::string& url, const std::string& auth) {
            http::Request req;
            req.url = url;
            req.verifyTls = http::origin(url) == base ? verifyTls : true;
            if (http::origin(url) != base && opts.insecure) req.verifyTls = false;
            req.tls = &tls;
            req.headers = headers;
            if (!auth.empty()) req.headers.push_back(auth);
            req.maxBody = maxBody;
            out = http::perform(req);
            HopResult h;
            h.status = out.status;
            h.location = out.header("Location");
            h.retryAfter = out.header("Retry-After");
            h.wwwAuth = out.headerAll("WWW-Authenticate");
            h.body = out.body.substr(0, kMaxErrorBody);
            return h;
        });
        return out;
    }
};

// ---- blob reader ----

namespace {

class RegistryBlobReader : public BlobReader {
public:
    RegistryBlobReader(std::shared_ptr<Client::Impl> c, std::string repo, Digest d, int64_t size)
        : c_(std::move(c)), repo_(std::move(repo)), digest_(std::move(d)), size_(size), hasher_(digest_.algorithm) {
        open(0);
    }

    size_t read(void* buf, size_t n) override {
        if (finished_ || n == 0) return 0;
        for (;;) {
            size_t k;
            try {
                k = stream_->read(buf, n);
            } catch (const http::TransportError& e) {
                // Resumes are counted over the whole blob: a registry that sends a little and
                // then stalls each time must not keep the pull going for ever.
                if (!e.retryable() || ++resumes_ >= c_->opts.maxTries)
                    throw RegistryError(0, "", c_->where(repo_) + ": reading blob " + digest_.str() + ": " + e.what());
                log::debug("blob {}: {}; resuming at byte {}", digest_.str(), e.what(), received_);
                std::this_thread::sleep_for(c_->backoff(resumes_));
                open(received_);
                continue;
            }
            if (k == 0) {
                finish();
                return 0;
            }
            // A server that ignored our Range: drop the bytes we already have.
            if (skip_ > 0) {
                size_t drop = std::min<uint64_t>(skip_, k);
                skip_ -= drop;
                if (drop == k) continue;
                std::memmove(buf, static_cast<char*>(buf) + drop, k - drop);
                k -= drop;
            }
            received_ += k;
            if (size_ >= 0 && received_ > static_cast<uint64_t>(size_))
                throw DigestMismatch(c_->where(repo_) + ": blob " + digest_.str() + " is larger than its size " +
                                     std::to_string(size_));
            hasher_.update(buf, k);
            return k;
        }
    }

private:
    void open(uint64_t offset) {
        stream_.reset();
        skip_ = 0;
        std::string path = "/v2/" + repo_ + "/blobs/" + digest_.str();
        std::string what = "fetching blob " + digest_.str();
        c_->run(repo_, path, what, [&](const std::string& url, const std::string& auth) {
            http::Request req;
            req.url = url;
            bool ours = http::origin(url) == c_->base;
            req.verifyTls = ours ? c_->verifyTls : !c_->opts.insecure;
            req.tls = &c_->tls;
            if (!auth.empty()) req.headers.push_back(auth);
            if (offset > 0) req.headers.push_back("Range: bytes=" + std::to_string(offset) + "-");
            stream_.reset();
            stream_ = std::make_unique<http::Stream>(req);
            Client::Impl::HopResult h;
            h.status = stream_->status();
            h.location = stream_->header("Location");
            h.retryAfter = stream_->header("Retry-After");
            if (h.status == 401) h.wwwAuth = {stream_->header("WWW-Authenticate")};
            if (h.status != 200 && h.status != 206) {
                h.body = stream_->readAll(kMaxErrorBody);
                stream_.reset();
            }
            return h;
        });
        if (offset > 0 && stream_->status() == 200) skip_ = offset;
    }

    void finish() {
        stream_.reset();
        if (size_ >= 0 && received_ != static_cast<uint64_t>(size_))
            throw DigestMismatch(c_->where(repo_) + ": blob " + digest_.str() + " is " + std::to_string(received_) +
                                 " bytes, expected " + std::to_string(size_));
        Digest got = hasher_.finish();
        if (!(got == digest_))
            throw DigestMismatch(c_->where(repo_) + ": blob " + digest_.str() + " has digest " + got.str() +
                                 " (digest mismatch)");
        finished_ = true;
    }

    std::shared_ptr<Client::Impl> c_;
    std::string repo_;
    Digest digest_;
    int64_t size_;
    Hasher hasher_;
    std::unique_ptr<http::Stream> stream_;
    uint64_t received_ = 0, skip_ = 0;
    int resumes_ = 0;
    bool finished_ = false;
};

}  // namespace

// ---- Client ----

Client::Client(ClientOptions opts) : impl_(std::make_shared<Impl>(std::move(opts))) {}
Client::~Client() = default;

const std::string& Client::host() const {
    return impl_->opts.host;
}

FetchedManifest Client::getManifest(const std::string& repo, const std::string& ref) {
    std::string what = "reading manifest " + ref;
    auto r = impl_->get(repo, "/v2/" + repo + "/manifests/" + ref, {"Accept: " + mediatype::acceptHeader()},
                        kMaxManifest, what);
    FetchedManifest m;
    m.body = std::move(r.body);
    std::string ct = r.header("Content-Type");
    ManifestKind kind = classifyManifest(ct, m.body);   // throws for schema 1
    switch (kind) {
    case ManifestKind::OciManifest: m.mediaType = mediatype::kOciManifest; break;
    case ManifestKind::OciIndex: m.mediaType = mediatype::kOciIndex; break;
    case ManifestKind::DockerManifest: m.mediaType = mediatype::kDockerManifest; break;
    case ManifestKind::DockerManifestList: m.mediaType = mediatype::kDockerManifestList; break;
    }
    const std::string where = impl_->where(repo);
    if (Digest::valid(ref)) {
        Digest want = Digest::parse(ref);
        Hasher h(want.algorithm);
        h.update(m.body);
        m.digest = h.finish();
        if (!(m.digest == want))
            throw DigestMismatch(where + ": manifest " + ref + " has digest " + m.digest.str() + " (digest mismatch)");
    } else {
        m.digest = Digest::sha256Of(m.body);
        std::string hdr = r.header("Docker-Content-Digest");
        if (!hdr.empty() && Digest::valid(hdr)) {
            Digest claimed = Digest::parse(hdr);
            if (claimed.algorithm == "sha256" || claimed.algorithm == "sha512") {
                Hasher h(claimed.algorithm);
                h.update(m.body);
                if (!(h.finish() == claimed))
                    throw DigestMismatch(where + ": manifest " + ref + " does not match its Docker-Content-Digest " +
                                         hdr + " (digest mismatch)");
                if (claimed.algorithm != "sha256") m.digest = claimed;
            }
        }
    }
    return m;
}

void Client::checkCredentials() {
    impl_->checkCredentials();
}

std::string Client::getBlob(const std::string& repo, const Digest& digest, int64_t size) {
    constexpr int64_t kMax = 64 << 20;
    if (size > kMax)
        throw InvalidArgument("getBlob: blob " + digest.str() + " of " + std::to_string(size) +
                              " bytes is too large to hold in memory; use openBlob");
    auto rd = openBlob(repo, digest, size);
    std::string out;
    char buf[65536];
    while (size_t k = rd->read(buf, sizeof buf)) {
        out.append(buf, k);
        if (static_cast<int64_t>(out.size()) > kMax)
            throw RegistryError(0, "", impl_->where(repo) + ": blob " + digest.str() + " is larger than 64 MiB");
    }
    return out;
}

http::Response Client::send(const std::string& repo, const std::string& scope, http::Request req) {
    return impl_->send(repo, scope, std::move(req));
}

void Client::throwFor(const std::string& repo, const http::Response& r, const std::string& what) const {
    impl_->throwHttp(repo, r.status, r.body, what);
}

std::unique_ptr<BlobReader> Client::openBlob(const std::string& repo, const Digest& digest, int64_t size) {
    return std::make_unique<RegistryBlobReader>(impl_, repo, digest, size);
}

}  // namespace hutch::registry
