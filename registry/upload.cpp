#include "hutch/registry/upload.hpp"

#include "hutch/common/error.hpp"
#include "hutch/common/log.hpp"
#include "hutch/registry/http.hpp"

namespace hutch::registry {

namespace {

std::string withQuery(const std::string& url, const std::string& kv) {
    return url + (url.find('?') == std::string::npos ? "?" : "&") + kv;
}

}  // namespace

Uploader::Uploader(Client& client, std::string repo) : client_(client), repo_(std::move(repo)) {}

std::string Uploader::pushScope() const {
    return "repository:" + repo_ + ":pull,push";
}

bool Uploader::blobExists(const Digest& digest) {
    http::Request req;
    req.method = "HEAD";
    req.url = "/v2/" + repo_ + "/blobs/" + digest.str();
    auto r = client_.send(repo_, pushScope(), req);
    if (r.status == 200) return true;
    if (r.status == 404) return false;
    client_.throwFor(repo_, r, "checking blob " + digest.str());
}

bool Uploader::mountBlob(const Digest& digest, const std::string& fromRepo) {
    http::Request req;
    req.method = "POST";
    req.url = "/v2/" + repo_ + "/blobs/uploads/?mount=" + http::urlEncode(digest.str()) +
              "&from=" + http::urlEncode(fromRepo);
    req.headers.push_back("Content-Type: application/octet-stream");
    auto r = client_.send(repo_, pushScope() + " repository:" + fromRepo + ":pull", req);
    if (r.status == 201) return true;
    if (r.status == 202) {
        // Not mounted; the registry opened a session we do not need: cancel it (best effort).
        if (auto loc = r.header("Location"); !loc.empty()) {
            http::Request del;
            del.method = "DELETE";
            del.url = loc;
            try {
                client_.send(repo_, pushScope(), del);
            } catch (const std::exception& e) {
                log::debug("cancelling upload session {}: {}", loc, e.what());
            }
        }
        log::debug("{}: mounting {} from {} refused; uploading", repo_, digest.str(), fromRepo);
        return false;
    }
    if (r.status == 404 || r.status == 401 || r.status == 403) return false;
    client_.throwFor(repo_, r, "mounting blob " + digest.str() + " from " + fromRepo);
}

std::string Uploader::startSession() {
    http::Request req;
    req.method = "POST";
    req.url = "/v2/" + repo_ + "/blobs/uploads/";
    req.headers.push_back("Content-Type: application/octet-stream");
    auto r = client_.send(repo_, pushScope(), req);
    if (r.status != 202) client_.throwFor(repo_, r, "starting a blob upload");
    std::string loc = r.header("Location");
    if (loc.empty()) throw RegistryError(static_cast<int>(r.status), "", client_.host() + "/" + repo_ +
                                                                            ": upload session without a Location");
    return loc;
}

void Uploader::upload(const Digest& digest, int fd, const std::string* mem, int64_t size) {
    std::string loc = startSession();
    auto fill = [&](http::Request& req, int64_t off, int64_t len) {
        if (mem) {
            req.postBody = mem->substr(static_cast<size_t>(off), static_cast<size_t>(len));
        } else {
            req.bodyFd = fd;
            req.bodyOffset = off;
            req.bodyLength = len;
        }
    };
    int64_t sent = 0;
    if (size > chunk_) {
        while (sent < size) {
            int64_t len = std::min(chunk_, size - sent);
            http::Request req;
            req.method = "PATCH";
            req.url = loc;
            req.headers.push_back("Content-Type: application/octet-stream");
            req.headers.push_back("Content-Range: " + std::to_string(sent) + "-" + std::to_string(sent + len - 1));
            fill(req, sent, len);
            auto r = client_.send(repo_, pushScope(), req);
            if (r.status != 202 && r.status != 204)
                client_.throwFor(repo_, r, "uploading blob " + digest.str() + " (chunk at " + std::to_string(sent) + ")");
            ++patches_;
            if (auto l = r.header("Location"); !l.empty()) loc = l;
            sent += len;
        }
    }
    http::Request put;
    put.method = "PUT";
    put.url = withQuery(loc, "digest=" + http::urlEncode(digest.str()));
    put.headers.push_back("Content-Type: application/octet-stream");
    if (sent < size) fill(put, sent, size - sent);
    auto r = client_.send(repo_, pushScope(), put);
    if (r.status != 201 && r.status != 204) client_.throwFor(repo_, r, "uploading blob " + digest.str());
    log::debug("{}: uploaded {} ({} bytes, {} chunks)", repo_, digest.str(), size, patches_);
}

void Uploader::uploadBlob(const Digest& digest, int fd, int64_t size) {
    upload(digest, fd, nullptr, size);
}

void Uploader::uploadBlob(const Digest& digest, const std::string& bytes) {
    upload(digest, -1, &bytes, static_cast<int64_t>(bytes.size()));
}

Digest Uploader::putManifest(const std::string& reference, const std::string& mediaType, const std::string& body) {
    http::Request req;
    req.method = "PUT";
    req.url = "/v2/" + repo_ + "/manifests/" + reference;
    req.headers.push_back("Content-Type: " + mediaType);
    req.postBody = body;
    auto r = client_.send(repo_, pushScope(), req);
    if (r.status != 201 && r.status != 200 && r.status != 202)
        client_.throwFor(repo_, r, "writing manifest " + reference);
    Digest d = Digest::sha256Of(body);
    if (auto h = r.header("Docker-Content-Digest"); !h.empty() && Digest::valid(h) && Digest::parse(h).algorithm == "sha256" &&
                                                    !(Digest::parse(h) == d))
        throw DigestMismatch(client_.host() + "/" + repo_ + ": registry stored manifest " + reference + " as " + h +
                             ", expected " + d.str());
    return d;
}

}  // namespace hutch::registry
