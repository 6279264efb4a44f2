// Registry credentials: containers-auth.json(5) files and WWW-Authenticate challenges
// (RFC 7235; distribution "token authentication specification").
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hutch::registry {

/// Credentials for one registry. identityToken (auth.json "identitytoken") is an OAuth2
/// refresh token; when set it is used instead of the password in the bearer token flow.
struct Credentials {
    std::string username, password, identityToken;
};

/// The auth files consulted, in containers/image order: $REGISTRY_AUTH_FILE if set, else
/// $XDG_RUNTIME_DIR/containers/auth.json (or /run/containers/<uid>/auth.json); then
/// $XDG_CONFIG_HOME/containers/auth.json (~/.config/...), then ~/.docker/config.json.
std::vector<std::string> authFilePaths();

/// Looks `host` ("quay.io", "127.0.0.1:5000", "docker.io") up in authFilePaths(); the first
/// file with an entry wins. Keys are normalised: a scheme and path are stripped, and
/// index.docker.io / registry-1.docker.io / "https://index.docker.io/v1/" mean docker.io.
/// Missing files are skipped; a file that is not valid JSON, or an "auth" that is not
/// base64 "user:password", throws ConfigError naming the file.
std::optional<Credentials> lookupCredentials(const std::string& host);
/// Same, over an explicit list of files (for tests).
std::optional<Credentials> lookupCredentialsIn(const std::string& host, const std::vector<std::string>& files);

/// Normalises an auth.json key or a registry host as above ("https://index.docker.io/v1/"
/// -> "docker.io").
std::string normalizeAuthKey(std::string_view key);

/// One challenge of a WWW-Authenticate header: scheme lower-cased ("bearer", "basic") and
/// its auth-params (keys lower-cased; quoted values unescaped).
struct Challenge {
    std::string scheme;
    std::map<std::string, std::string> params;
};
/// Parses a WWW-Authenticate header value (several challenges may be comma-separated).
std::vector<Challenge> parseChallenges(std::string_view header);

/// RFC 4648 standard base64 with padding.
std::string base64Encode(std::string_view in);
/// Decodes standard base64 (padding optional, whitespace not allowed); nullopt if invalid.
std::optional<std::string> base64Decode(std::string_view in);

}  // namespace hutch::registry
