#include "hutch/registry/http.hpp"

#include "hutch/common/fsutil.hpp"
#include "hutch/registry/curl_lib.hpp"

#include <dirent.h>
#include <strings.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <array>
#include <chrono>
#include <cstring>
#include <mutex>

namespace hutch::registry::http {

namespace {

constexpr const char* kUserAgent = "hutch/0.1";
constexpr size_t kStreamHighWater = 1u << 20;   // pause the transfer above this many buffered bytes

// The process-wide share: connection cache, DNS cache, TLS session ids.
struct Share {
    CURLSH* sh = nullptr;
    std::array<std::mutex, CURL_LOCK_DATA_LAST> locks;

    Share() {
        sh = curl().share_init();
        curl().share_setopt(sh, CURLSHOPT_LOCKFUNC, &Share::lock);
        curl().share_setopt(sh, CURLSHOPT_UNLOCKFUNC, &Share::unlock);
        curl().share_setopt(sh, CURLSHOPT_USERDATA, this);
        curl().share_setopt(sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
        curl().share_setopt(sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
        curl().share_setopt(sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    }
    // Never cleaned up: handles may outlive static destruction order in other modules.
    static void lock(CURL*, curl_lock_data d, curl_lock_access, void* u) {
        static_cast<Share*>(u)->locks[d].lock();
    }
    static void unlock(CURL*, curl_lock_data d, void* u) {
        static_cast<Share*>(u)->locks[d].unlock();
    }
};

CURLSH* share() {
    static Share* s = new Share();
    return s->sh;
}

bool retryableCode(CURLcode c) {
    switch (c) {
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        return true;
    default:
        return false;
    }
}

[[noreturn]] void throwTransport(CURLcode c, const char* errbuf, const Request& req, long stall) {
    std::string detail = errbuf && *errbuf ? errbuf : curl().easy_strerror(c);
    if (c == CURLE_OPERATION_TIMEDOUT)
        detail = "no data received for " + std::to_string(stall) +
                 " seconds (HUTCH_REGISTRY_STALL_TIMEOUT): " + detail;
    throw TransportError(static_cast<int>(c), retryableCode(c), req.method + " " + req.url + ": " + detail);
}

}  // namespace

long stallTimeoutSeconds() {
    const char* v = std::getenv("HUTCH_REGISTRY_STALL_TIMEOUT");
    if (!v || !*v) return 60;
    char* end = nullptr;
    errno = 0;
    long n = std::strtol(v, &end, 10);
    if (errno || *end || n <= 0)
        throw InvalidArgument("HUTCH_REGISTRY_STALL_TIMEOUT=" + std::string(v) +
                              ": expected a positive number of seconds");
    return n;
}

namespace {

// Header lines: a status line resets the list (1xx interim responses, each hop).
void onHeaderLine(Response& r, std::string_view line, bool* finalDone) {
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
    if (line.rfind("HTTP/", 0) == 0) {
        r.headers.clear();
        auto sp = line.find(' ');
        r.status = sp == std::string_view::npos ? 0 : std::atol(std::string(line.substr(sp + 1, 3)).c_str());
        return;
    }
    if (line.empty()) {
        if (finalDone && r.status >= 200) *finalDone = true;
        return;
    }
    auto colon = line.find(':');
    if (colon == std::string_view::npos) return;
    auto v = line.substr(colon + 1);
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
    r.headers.emplace_back(std::string(line.substr(0, colon)), std::string(v));
}

// The body of a PUT/PATCH, handed to curl from memory or a file (pread).
struct Upload {
    const Request* req = nullptr;
    int64_t sent = 0;
    static size_t read(char* buf, size_t sz, size_t n, void* u) {
        auto* up = static_cast<Upload*>(u);
        const Request& r = *up->req;
        int64_t total = r.bodyFd >= 0 ? r.bodyLength : static_cast<int64_t>(r.postBody.size());
        size_t want = static_cast<size_t>(std::min<int64_t>(static_cast<int64_t>(sz * n), total - up->sent));
        if (want == 0) return 0;
        if (r.bodyFd >= 0) {
            ssize_t k = ::pread(r.bodyFd, buf, want, r.bodyOffset + up->sent);
            if (k < 0) return CURL_READFUNC_ABORT;
            up->sent += k;
            return static_cast<size_t>(k);
        }
        std::memcpy(buf, r.postBody.data() + up->sent, want);
        up->sent += static_cast<int64_t>(want);
        return want;
    }
};

struct Easy {
    CURL* h = nullptr;
    curl_slist* hdrs = nullptr;
    char errbuf[CURL_ERROR_SIZE] = {0};
    Upload upload;
    long stall = 60;

    explicit Easy(const Request& req) {
        stall = stallTimeoutSeconds();  // first: may throw before anything is allocated
        h = curl().easy_init();
        if (!h) throw TransportError(0, false, req.url + ": curl_easy_init failed");
        curl().easy_setopt(h, CURLOPT_SHARE, share());
        curl().easy_setopt(h, CURLOPT_URL, req.url.c_str());
        curl().easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
        curl().easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
        curl().easy_setopt(h, CURLOPT_USERAGENT, kUserAgent);
        curl().easy_setopt(h, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_2TLS);
        curl().easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
        curl().easy_setopt(h, CURLOPT_CONNECTTIMEOUT, stall);
        curl().easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);      // bytes/s ...
        curl().easy_setopt(h, CURLOPT_LOW_SPEED_TIME, stall);    // ... for this long = stalled
        curl().easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
        curl().easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
        curl().easy_setopt(h, CURLOPT_SSL_VERIFYPEER, req.verifyTls ? 1L : 0L);
        curl().easy_setopt(h, CURLOPT_SSL_VERIFYHOST, req.verifyTls ? 2L : 0L);
        if (req.tls && !req.tls->caPem.empty()) {
            curl_blob ca{const_cast<char*>(req.tls->caPem.data()), req.tls->caPem.size(), CURL_BLOB_COPY};
            curl().easy_setopt(h, CURLOPT_CAINFO_BLOB, &ca);
        }
        if (req.tls && !req.tls->certFile.empty()) {
            curl().easy_setopt(h, CURLOPT_SSLCERT, req.tls->certFile.c_str());
            curl().easy_setopt(h, CURLOPT_SSLKEY, req.tls->keyFile.c_str());
        }
        if (req.method == "HEAD") curl().easy_setopt(h, CURLOPT_NOBODY, 1L);
        else if (req.method == "POST") {
            curl().easy_setopt(h, CURLOPT_POSTFIELDSIZE, static_cast<long>(req.postBody.size()));
            curl().easy_setopt(h, CURLOPT_COPYPOSTFIELDS, req.postBody.c_str());
        } else if (req.method == "PUT" || req.method == "PATCH") {
            upload.req = &req;
            curl().easy_setopt(h, CURLOPT_UPLOAD, 1L);
            if (req.method == "PATCH") curl().easy_setopt(h, CURLOPT_CUSTOMREQUEST, "PATCH");
            curl().easy_setopt(h, CURLOPT_READFUNCTION, &Upload::read);
            curl().easy_setopt(h, CURLOPT_READDATA, &upload);
            curl().easy_setopt(h, CURLOPT_INFILESIZE_LARGE,
                             static_cast<curl_off_t>(req.bodyFd >= 0 ? req.bodyLength : req.postBody.size()));
        } else if (req.method != "GET") {
            curl().easy_setopt(h, CURLOPT_CUSTOMREQUEST, req.method.c_str());   // DELETE
        }
        for (const auto& hd : req.headers) hdrs = curl().slist_append(hdrs, hd.c_str());
        // Never announce "Expect: 100-continue" for our small POSTs.
        hdrs = curl().slist_append(hdrs, "Expect:");
        curl().easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    }
    ~Easy() {
        if (h) curl().easy_cleanup(h);
        curl().slist_free_all(hdrs);
    }
};

struct PerformCtx {
    Response* resp;
    size_t max;
    bool tooBig = false;
};

size_t performWrite(char* p, size_t sz, size_t n, void* u) {
    auto* c = static_cast<PerformCtx*>(u);
    size_t len = sz * n;
    if (c->resp->body.size() + len > c->max) {
        c->tooBig = true;
        return 0;
    }
    c->resp->body.append(p, len);
    return len;
}

size_t performHeader(char* p, size_t sz, size_t n, void* u) {
    onHeaderLine(*static_cast<PerformCtx*>(u)->resp, std::string_view(p, sz * n), nullptr);
    return sz * n;
}

}  // namespace

std::string Response::header(std::string_view name) const {
    std::string v;
    for (const auto& [k, val] : headers)
        if (k.size() == name.size() && strncasecmp(k.c_str(), name.data(), name.size()) == 0) v = val;
    return v;
}

std::vector<std::string> Response::headerAll(std::string_view name) const {
    std::vector<std::string> out;
    for (const auto& [k, val] : headers)
        if (k.size() == name.size() && strncasecmp(k.c_str(), name.data(), name.size()) == 0) out.push_back(val);
    return out;
}

Response perform(const Request& req) {
    Easy e(req);
    Response r;
    PerformCtx ctx{&r, req.maxBody};
    curl().easy_setopt(e.h, CURLOPT_WRITEFUNCTION, performWrite);
    curl().easy_setopt(e.h, CURLOPT_WRITEDATA, &ctx);
    curl().easy_setopt(e.h, CURLOPT_HEADERFUNCTION, performHeader);
    curl().easy_setopt(e.h, CURLOPT_HEADERDATA, &ctx);
    CURLcode c = curl().easy_perform(e.h);
    if (ctx.tooBig)
        throw RegistryError(0, "", req.method + " " + req.url + ": response body larger than " +
                                       std::to_string(req.maxBody) + " bytes");
    if (c != CURLE_OK) throwTransport(c, e.errbuf, req, e.stall);
    long code = 0;
    curl().easy_getinfo(e.h, CURLINFO_RESPONSE_CODE, &code);
    r.status = code;
    return r;
}

// ---- Stream ----

struct Stream::Impl {
    Request req;
    Easy easy;
    CURLM* multi = nullptr;
    Response resp;            // status + headers; body unused
    std::string buf;
    size_t pos = 0;
    bool paused = false, done = false, headersDone = false;
    CURLcode result = CURLE_OK;
    // When a byte (header or body) last arrived, or the consumer last asked for more after
    // a pause: the stall clock. curl's own low-speed check averages over several seconds.
    std::chrono::steady_clock::time_point lastData = std::chrono::steady_clock::now();

    explicit Impl(const Request& r) : req(r), easy(r) {
        multi = curl().multi_init();
        // A connection is used by one transfer at a time across our multi handles.
        curl().multi_setopt(multi, CURLMOPT_PIPELINING, CURLPIPE_NOTHING);
        curl().easy_setopt(easy.h, CURLOPT_WRITEFUNCTION, &Impl::onWrite);
        curl().easy_setopt(easy.h, CURLOPT_WRITEDATA, this);
        curl().easy_setopt(easy.h, CURLOPT_HEADERFUNCTION, &Impl::onHeader);
        curl().easy_setopt(easy.h, CURLOPT_HEADERDATA, this);
        curl().multi_add_handle(multi, easy.h);
    }
    ~Impl() {
        curl().multi_remove_handle(multi, easy.h);
        curl().multi_cleanup(multi);
    }

    static size_t onWrite(char* p, size_t sz, size_t n, void* u) {
        auto* s = static_cast<Impl*>(u);
        s->headersDone = true;
        s->lastData = std::chrono::steady_clock::now();
        if (s->buf.size() - s->pos >= kStreamHighWater) {
            s->paused = true;
            return CURL_WRITEFUNC_PAUSE;
        }
        if (s->pos > 0 && s->pos == s->buf.size()) {
            s->buf.clear();
            s->pos = 0;
        }
        s->buf.append(p, sz * n);
        return sz * n;
    }
    static size_t onHeader(char* p, size_t sz, size_t n, void* u) {
        auto* s = static_cast<Impl*>(u);
        s->lastData = std::chrono::steady_clock::now();
        onHeaderLine(s->resp, std::string_view(p, sz * n), &s->headersDone);
        return sz * n;
    }

    // Moves the transfer forward once (waiting up to 1 s for the socket).
    void pump() {
        if (done) return;
        if (paused) {
            paused = false;
            lastData = std::chrono::steady_clock::now();  // we were not asking for data
            curl().easy_pause(easy.h, CURLPAUSE_CONT);   // may deliver held data right away
        }
        int running = 0;
        CURLMcode mc = curl().multi_perform(multi, &running);
        if (mc != CURLM_OK)
            throw TransportError(0, false, req.url + ": " + curl().multi_strerror(mc));
        if (running == 0) {
            int left = 0;
            while (CURLMsg* m = curl().multi_info_read(multi, &left))
                if (m->msg == CURLMSG_DONE) result = m->data.result;
            done = true;
            if (result != CURLE_OK) throwTransport(result, easy.errbuf, req, easy.stall);
            long code = 0;
            curl().easy_getinfo(easy.h, CURLINFO_RESPONSE_CODE, &code);
            resp.status = code;
            headersDone = true;
            return;
        }
        if (!paused && pos == buf.size()) {
            if (std::chrono::steady_clock::now() - lastData >= std::chrono::seconds(easy.stall))
                throw TransportError(CURLE_OPERATION_TIMEDOUT, true,
                                     req.method + " " + req.url + ": no data received for " +
                                         std::to_string(easy.stall) + " seconds (HUTCH_REGISTRY_STALL_TIMEOUT)");
            curl().multi_poll(multi, nullptr, 0, 250, nullptr);
        }
    }
};

Stream::Stream(const Request& req) : impl_(std::make_unique<Impl>(req)) {
    while (!impl_->headersDone && !impl_->done) impl_->pump();
}

Stream::~Stream() = default;

long Stream::status() const {
    return impl_->resp.status;
}

std::string Stream::header(std::string_view name) const {
    return impl_->resp.header(name);
}

size_t Stream::read(void* out, size_t n) {
    auto& s = *impl_;
    while (s.pos == s.buf.size()) {
        if (s.done) return 0;
        s.pump();
    }
    size_t k = std::min(n, s.buf.size() - s.pos);
    std::memcpy(out, s.buf.data() + s.pos, k);
    s.pos += k;
    if (s.pos == s.buf.size()) {
        s.buf.clear();
        s.pos = 0;
    }
    return k;
}

std::string Stream::readAll(size_t max) {
    std::string out;
    char tmp[16384];
    while (size_t k = read(tmp, sizeof tmp))
        if (out.size() < max) out.append(tmp, std::min(k, max - out.size()));
    return out;
}

// ---- URL helpers ----

std::string origin(std::string_view url) {
    auto p = url.find("://");
    if (p == std::string_view::npos) return "";
    auto end = url.find_first_of("/?#", p + 3);
    return std::string(url.substr(0, end));
}

std::string resolveLocation(std::string_view base, std::string_view loc) {
    if (loc.find("://") != std::string_view::npos) return std::string(loc);
    std::string o = origin(base);
    if (loc.rfind("//", 0) == 0) return std::string(base.substr(0, base.find(':'))) + ":" + std::string(loc);
    if (!loc.empty() && loc[0] == '/') return o + std::string(loc);
    std::string path(base.substr(o.size()));
    path = path.substr(0, path.find_first_of("?#"));
    path = path.substr(0, path.rfind('/') + 1);
    if (path.empty()) path = "/";
    return o + path + std::string(loc);
}

std::string urlEncode(std::string_view s) {
    static const char* hex = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') out += static_cast<char>(c);
        else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

TlsFiles readCertDir(const std::string& dir) {
    TlsFiles t;
    if (dir.empty()) return t;
    std::vector<std::string> names;
    if (DIR* d = ::opendir(dir.c_str())) {
        while (dirent* e = ::readdir(d)) names.emplace_back(e->d_name);
        ::closedir(d);
    } else {
        if (errno == ENOENT) return t;
        throw SysError(errno, "reading --cert-dir " + dir);
    }
    std::sort(names.begin(), names.end());
    auto endsWith = [](const std::string& s, std::string_view suf) {
        return s.size() > suf.size() && s.compare(s.size() - suf.size(), suf.size(), suf) == 0;
    };
    auto has = [&](const std::string& n) { return std::find(names.begin(), names.end(), n) != names.end(); };
    std::string extra;
    for (const auto& n : names) {
        const std::string path = dir + "/" + n;
        if (endsWith(n, ".crt")) {
            extra += fsutil::readFile(path);
            extra += "\n";
        } else if (endsWith(n, ".cert")) {
            std::string key = n.substr(0, n.size() - 5) + ".key";
            if (!has(key)) throw InvalidArgument("missing key " + key + " for client certificate " + path);
            t.certFile = path;
            t.keyFile = dir + "/" + key;
        } else if (endsWith(n, ".key")) {
            std::string cert = n.substr(0, n.size() - 4) + ".cert";
            if (!has(cert)) throw InvalidArgument("missing client certificate " + cert + " for key " + path);
        }
    }
    if (!extra.empty()) {
        // A CA blob replaces libcurl's default bundle: keep the system's CAs in it too.
        for (const char* sys : {"/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt"}) {
            try {
                t.caPem = fsutil::readFile(sys) + "\n";
                break;
            } catch (const Error&) {
            }
        }
        t.caPem += extra;
    }
    return t;
}

}  // namespace hutch::registry::http
