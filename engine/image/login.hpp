// login / logout: registry credentials checked against the registry and kept in a
// containers-auth.json(5) file, as podman's (containers/common pkg/auth) are.
#pragma once

#include <optional>
#include <string>

#include "hutch/engine/core/context.hpp"

namespace hutch::engine {

/// What a login/logout argument names: `key` is the auth.json key ("host[:port]" or
/// "host[:port]/namespace..."), `host` the registry to contact.
struct LoginTarget {
    std::string key, host;
};

/// The target for `arg`: an "http(s)://" URL is replaced by its host[:port]; "" means the
/// first unqualified-search registry of registries.conf. Throws InvalidArgument ("no
/// registries found in registries.conf, a registry must be provided", a key with a tag or
/// digest), ConfigError for a bad registries.conf.
LoginTarget loginTarget(Context& ctx, const std::string& arg);

/// Credentials stored for `t`, read as a pull would (the most specific key first) from
/// `authFile` alone, or ("") every default file. nullopt when there are none.
struct StoredLogin {
    std::string username, password;
    bool identityToken = false;  ///< the entry holds an identity token (no password)
};
std::optional<StoredLogin> storedLogin(const std::string& authFile, const LoginTarget& t);

/// How to reach the registry for a credentials check.
struct LoginCheck {
    std::optional<bool> tlsVerify;  ///< nullopt: registries.conf's insecure for the host
    std::string certDir;            ///< --cert-dir: *.crt CAs, *.cert/*.key client pair ("" = none)
};

/// Verifies `username`/`password` with the registry of `t` (GET /v2/, Basic or a bearer
/// token). Throws AuthError when the registry refuses them, RegistryError when it cannot
/// be reached ("pinging container registry HOST: ..."), ConfigError for registries.conf.
void checkLogin(Context& ctx, const LoginTarget& t, const std::string& username, const std::string& password,
                const LoginCheck& how);

/// The file login writes and logout edits: `authFile`, else $REGISTRY_AUTH_FILE, else
/// $XDG_RUNTIME_DIR/containers/auth.json.
std::string loginAuthFile(const std::string& authFile);

/// Stores the credentials under `t.key` in `file` (other entries kept; 0600, atomic).
void saveLogin(const std::string& file, const LoginTarget& t, const std::string& username,
               const std::string& password);

/// Removes the entry for `t.key` from `file`; false when it had none (or no file).
bool removeLogin(const std::string& file, const LoginTarget& t);

/// Empties the auths of `file` (created when missing).
void removeAllLogins(const std::string& file);

/// Throws Error "stat FILE: no such file or directory" when a named --authfile does not exist.
void requireAuthFile(const std::string& authFile);

}  // namespace hutch::engine
