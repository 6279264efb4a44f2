// Resolution of `--user` / the image's User against the container's /etc/passwd and
// /etc/group (OCI image-spec config.md "User": user, uid, user:group, uid:gid, ...).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace hutch::engine {

struct ResolvedUser {
    uint32_t uid = 0;
    uint32_t gid = 0;
    std::vector<uint32_t> additionalGids;  ///< supplementary groups from /etc/group
    std::string home = "/";                ///< from /etc/passwd, "/" when unknown
};

/// Reads a file inside `rootfs`, resolving every path component (symlinks included) as if
/// `rootfs` were "/" (openat2 RESOLVE_IN_ROOT). nullopt when it does not exist.
/// Throws SysError for other failures.
std::optional<std::string> readFileInRoot(const std::string& rootfs, const std::string& path);

/// Resolves `spec` ("" = root) in the container. A name must exist in /etc/passwd (group
/// names in /etc/group); numbers need no entry (gid then defaults to the passwd entry's
/// group, or 0). Throws InvalidArgument naming the unknown user or group.
ResolvedUser resolveUser(const std::string& rootfs, const std::string& spec);

}  // namespace hutch::engine
