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

/// Credentials for an image in repository `repo` ("library/busybox"; "" = the registry
/// itself) on `host`, from `files` in order (a missing file is skipped): in each file the
/// most specific key wins ("host/a/b", then "host/a", then "host"), as containers/image
/// reads the namespaced keys `login host/a` writes. Errors as lookupCredentials.
std::optional<Credentials> lookupCredentialsIn(const std::string& host, const std::string& repo,
                                               const std::vector<std::string>& files);

/// The credential files one command reads: {authFile} alone when the user named one
/// (--authfile; containers/image then reads no other file), else authFilePaths().
std::vector<std::string> authFilesFor(const std::string& authFile);

/// Throws Error "stat FILE: no such file or directory" when `authFile` is set and does not exist: podman
/// refuses a named credentials file that is missing (pull, push, logout).
void checkAuthFile(const std::string& authFile);

/// The file `login` writes and `logout` edits: `authFile` when given, else
/// authFilePaths()'s first ($REGISTRY_AUTH_FILE, else $XDG_RUNTIME_DIR/containers/auth.json).
std::string authFileToWrite(const std::string& authFile);

/// A login/logout argument as an auth.json key: "host[:port]" or "host[:port]/namespace..."
/// (an "http://" or "https://" URL is replaced by its host[:port]). `host` is the registry
/// to contact. Throws InvalidArgument for an empty host or a key with a tag or digest.
struct AuthKey {
    std::string key, host;
};
AuthKey parseAuthKey(std::string_view arg);

/// The entry stored under exactly `key` in `file` alone (no other file, no namespace
/// fallback); nullopt when the file or the entry does not exist. Errors as lookupCredentials.
std::optional<Credentials> readAuthEntry(const std::string& file, const std::string& key);

/// Read-modify-write of a containers-auth.json file: sets auths[key] to
/// {"auth": base64("user:password")} and keeps every other entry and top-level key. A missing
/// file is created (mode 0600; missing parent directories 0700); the new content replaces
/// the old atomically (temp file + rename), mode 0600. Throws ConfigError naming the file when
/// it is not a JSON object or its "auths" is not an object; SysError for I/O.
void storeCredentials(const std::string& file, const std::string& key, const std::string& username,
                      const std::string& password);
/// Removes auths[key] (and an entry whose key normalises to it, such as "https://key") from
/// `file`, keeping everything else. Returns false, changing nothing, when there was none or
/// the file does not exist. Errors as storeCredentials.
bool removeCredentials(const std::string& file, const std::string& key);
/// Empties auths in `file` (other top-level keys stay); writes {"auths":{}} when the file
/// does not exist. Errors as storeCredentials.
void removeAllCredentials(const std::string& file);

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
