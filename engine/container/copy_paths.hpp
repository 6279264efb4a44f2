// `hutch cp`'s argument and path rules (podman-cp(1)), pure: which side is a container, and
// where a copy lands given what the source and destination paths resolved to.
#pragma once

#include <string>

namespace hutch::engine {

/// One side of `cp` as given on the command line.
struct CopyLocation {
    std::string container;  ///< "" = the host (or the tar stream when path is "-")
    std::string path;       ///< as given ("" for a container means its working directory)
    bool isContainer() const { return !container.empty(); }
    bool isStream() const { return container.empty() && path == "-"; }
};

/// Splits a `cp` argument as podman does: "-" is the tar stream; a path starting with '/'
/// or '.' is a host path even with colons in it ("./a:b"); otherwise "NAME:PATH" names a
/// container when there is a ':' (split at the first one); anything else is a host path.
CopyLocation parseCopyLocation(const std::string& arg);

/// `path` made absolute against `base` (an absolute directory) when relative, as text: a
/// trailing "/" or "/." of `path` is kept (the rules look at them), nothing is resolved.
std::string absoluteCopyPath(const std::string& base, const std::string& path);

/// The lexical parent of an absolute path ("/a/b/" -> "/a", "/a" -> "/", "/" -> "/").
std::string copyParentPath(const std::string& absPath);

/// The last component of an absolute path, "" for "/" ("/a/b/" -> "b", "/a/." -> ".").
std::string copyBaseName(const std::string& absPath);

/// What a path of one side resolved to (every symlink followed inside its root).
struct CopyStat {
    bool exists = false;
    bool isDir = false;
    bool isRegular = false;
    std::string resolved;  ///< absolute path as that side sees it, symlinks resolved ("/" for the root)
};

/// Where a copy lands.
struct CopyPlan {
    std::string destDir;  ///< resolved absolute directory (destination side) the entries are written into
    /// Name of the copied file or directory in destDir; "" = the source directory's entries
    /// go straight into destDir (a source ending in "/." onto an existing directory).
    std::string topName;
};

/// podman cp's rules. `srcPath`/`dstPath` are absolute (absoluteCopyPath), `src` and `dst`
/// their stats, `dstParent` the stat of copyParentPath(dstPath) (used when dst does not
/// exist), `dstWhere` names the destination side in errors ("container NAME", "the host").
///  - dst an existing directory: the source goes into it under its own (resolved) name, or
///    its content when srcPath ends in "/.";
///  - dst an existing non-directory: a file replaces it (its resolved name); a directory is
///    an error;
///  - dst missing: its parent must be an existing directory and dstPath must not end in "/";
///    the source is created there under dst's name (a directory's content goes into it).
/// Throws InvalidArgument with podman's messages ("destination must be a directory when
/// copying a directory", "\"PATH\" could not be found on WHERE: no such file or directory").
CopyPlan planCopy(const std::string& srcPath, const CopyStat& src, const std::string& dstPath, const CopyStat& dst,
                  const CopyStat& dstParent, const std::string& dstWhere);

/// The name a source is written under in a tar to standard output: its resolved name, or ""
/// (its entries at the top) for a directory given as "DIR/." or for "/".
std::string streamTopName(const std::string& srcPath, const CopyStat& src);

}  // namespace hutch::engine
