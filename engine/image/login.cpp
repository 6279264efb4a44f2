#include "hutch/engine/image/login.hpp"

#include "hutch/common/error.hpp"
#include "hutch/conf/registries.hpp"
#include "hutch/registry/auth.hpp"
#include "hutch/registry/client.hpp"

namespace hutch::engine {

LoginTarget loginTarget(Context& ctx, const std::string& arg) {
    if (arg.empty()) {
        const auto& search = ctx.registries().unqualifiedSearchRegistries;
        if (search.empty()) throw InvalidArgument("no registries found in registries.conf, a registry must be provided");
        return {search.front(), search.front()};
    }
    auto k = registry::parseAuthKey(arg);
    return {k.key, k.host};
}

std::optional<StoredLogin> storedLogin(const std::string& authFile, const LoginTarget& t) {
    std::string repo = t.key.size() > t.host.size() ? t.key.substr(t.host.size() + 1) : "";
    auto c = registry::lookupCredentialsIn(t.host, repo, registry::authFilesFor(authFile));
    if (!c) return std::nullopt;
    return StoredLogin{c->username, c->password, !c->identityToken.empty()};
}

void checkLogin(Context& ctx, const LoginTarget& t, const std::string& username, const std::string& password,
                const LoginCheck& how) {
    registry::ClientOptions co;
    co.host = t.host;
    if (how.tlsVerify) {
        co.insecure = !*how.tlsVerify;
    } else {
        const conf::Registry* reg = ctx.registries().findRegistry(t.key);
        co.insecure = reg && reg->endpoint.insecure;
    }
    co.certDir = how.certDir;
    co.creds = registry::Credentials{username, password, ""};
    co.readAuthFiles = false;
    registry::Client client(co);
    client.checkCredentials();
}

std::string loginAuthFile(const std::string& authFile) {
    return registry::authFileToWrite(authFile);
}

void saveLogin(const std::string& file, const LoginTarget& t, const std::string& username,
               const std::string& password) {
    registry::storeCredentials(file, t.key, username, password);
}

bool removeLogin(const std::string& file, const LoginTarget& t) {
    return registry::removeCredentials(file, t.key);
}

void removeAllLogins(const std::string& file) {
    registry::removeAllCredentials(file);
}

void requireAuthFile(const std::string& authFile) {
    registry::checkAuthFile(authFile);
}

}  // namespace hutch::engine
