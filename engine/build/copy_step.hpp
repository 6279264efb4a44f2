// COPY/ADD for the build executor: source resolution (globs, .dockerignore), the content
// hash used by the cache and history, and the copy into a mounted rootfs with Docker's
// directory semantics. Sources are read through a root directory fd (the build context or
// another stage's rootfs) and destinations written through the rootfs fd, both resolved with
// openat2 RESOLVE_IN_ROOT (storage/fsops.hpp), so symlinks never lead outside either root.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "hutch/builder/dockerignore.hpp"

namespace hutch::engine::build {

/// Where sources are read from.
struct SourceRoot {
    int fd = -1;                                  ///< directory fd of the root
    std::string shown;                            ///< its path, for messages
    const builder::DockerIgnore* ignore = nullptr;  ///< the context's ignore rules (null = none)
};

/// One matched source: its path relative to the root ("" = the root itself).
struct ResolvedSource {
    std::string rel;
    bool dir = false;
};

/// Expands `patterns` (Go filepath.Match globs per path component: `*`, `?`, `[...]`;
/// `*` also matches dot files) against the root; excluded paths do not match. Results in
/// pattern order, each pattern's matches sorted. Throws NotFound
/// (`<pattern>: no such file or directory`) when a pattern matches nothing.
std::vector<ResolvedSource> resolveSources(const SourceRoot& root, const std::vector<std::string>& patterns);

/// The content hash of the sources: names (relative to each source), types, modes, sizes,
/// file contents and link targets, excluded paths skipped. Returns "<kind>:<64 hex>" with
/// kind `file` (one regular file), `dir` (one directory) or `multi`.
std::string contentHash(const SourceRoot& root, const std::vector<ResolvedSource>& sources);

/// How to copy.
struct CopyOptions {
    std::string dest;          ///< as written after expansion (a trailing '/' means a directory)
    std::string workdir;       ///< the stage's working directory, for a relative dest
    uid_t uid = 0;             ///< owner of everything written (--chown, else 0:0)
    gid_t gid = 0;
    std::optional<mode_t> chmod;  ///< --chmod
    bool extractArchives = false; ///< ADD: a local tar archive (plain, gzip, zstd) is unpacked
    bool keepOwners = false;      ///< keep the sources' owners (uid/gid ignored)
};

/// Copies the sources into the rootfs (`rootfsFd`, path `rootfsPath`) with Docker's rules:
/// several sources need a dest ending in '/'; a directory source copies its content; a file
/// goes to dest/<name> when dest ends in '/' or is an existing directory, else to dest;
/// missing parent directories are created (0755). Modes and mtimes are kept, owners set
/// to uid:gid. Throws InvalidArgument (several sources, dest not a directory), SysError
/// naming the path.
void copyInto(int rootfsFd, const std::string& rootfsPath, const SourceRoot& src,
              const std::vector<ResolvedSource>& sources, const CopyOptions& opts);

/// The owner `COPY/ADD --chown=SPEC` gives, as buildah does: a numeric user without a
/// group ("12", "12:") is uid:uid; numeric "uid:gid" as given; otherwise user and group
/// names are looked up in the rootfs's /etc/passwd and /etc/group (a name without a group
/// gets its primary group). Throws InvalidArgument for an empty spec or an unknown name.
std::pair<uid_t, gid_t> copyOwner(const std::string& rootfs, const std::string& spec);

/// Creates directory `path` (absolute in the rootfs) and its missing parents, owned by
/// uid:gid, mode 0755. Throws SysError.
void mkdirInRoot(int rootfsFd, const std::string& path, uid_t uid = 0, gid_t gid = 0);

/// Makes the tree of `dstRootFd` equal to the tree of `srcRootFd` (--squash): entries only
/// in dst are removed, entries that differ (type, mode, owner, size, mtime, link target) are
/// replaced, owners, modes and mtimes kept; hardlinks become copies and xattrs are not
/// copied. Both are rootfs directories; paths are resolved inside them. Throws SysError.
void syncTree(int srcRootFd, int dstRootFd);

/// True when the file at `fd` starts like a tar archive (plain, gzip or zstd compressed).
bool looksLikeArchive(int fd);

}  // namespace hutch::engine::build
