#include "hutch/engine/build/fetch.hpp"

#include <fcntl.h>
#include <unistd.h>

#include "hutch/common/error.hpp"
#include "hutch/common/fd.hpp"
#include "hutch/registry/curl_lib.hpp"

namespace hutch::engine::build {

bool isUrl(const std::string& src) { return src.rfind("http://", 0) == 0 || src.rfind("https://", 0) == 0; }

std::string fetchUrl(const std::string& url, const std::string& dest) {
    UniqueFd out(::open(dest.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (!out) throw SysError(errno, "create " + dest);
    CURL* c = registry::curl().easy_init();
    if (!c) throw Error("ADD " + url + ": curl_easy_init failed");
    struct Sink {
        int fd;
        bool failed = false;
    } sink{out.get()};
    auto write = +[](char* p, size_t sz, size_t n, void* ud) -> size_t {
        auto* s = static_cast<Sink*>(ud);
        size_t len = sz * n;
        for (size_t off = 0; off < len;) {
            ssize_t w = ::write(s->fd, p + off, len - off);
            if (w < 0 && errno == EINTR) continue;
            if (w < 0) {
                s->failed = true;
                return 0;
            }
            off += static_cast<size_t>(w);
        }
        return len;
    };
    registry::curl().easy_setopt(c, CURLOPT_URL, url.c_str());
    registry::curl().easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    registry::curl().easy_setopt(c, CURLOPT_WRITEFUNCTION, write);
    registry::curl().easy_setopt(c, CURLOPT_WRITEDATA, &sink);
    registry::curl().easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    registry::curl().easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
    CURLcode rc = registry::curl().easy_perform(c);
    long status = 0;
    registry::curl().easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    registry::curl().easy_cleanup(c);
    if (sink.failed) throw SysError(errno, "write " + dest);
    if (rc != CURLE_OK) throw Error("ADD " + url + ": " + registry::curl().easy_strerror(rc));
    if (status >= 400) throw Error("ADD " + url + ": invalid response status " + std::to_string(status));
    std::string path = url.substr(url.find("://") + 3);
    path = path.substr(0, path.find_first_of("?#"));
    auto slash = path.find('/');
    if (slash == std::string::npos) return "";
    path = path.substr(slash);
    return path.substr(path.rfind('/') + 1);
}

}  // namespace hutch::engine::build
