#include "hutch/engine/container/copy_paths.hpp"

#include "hutch/common/error.hpp"

namespace hutch::engine {

CopyLocation parseCopyLocation(const std::string& arg) {
    if (arg == "-" || arg.empty() || arg[0] == '/' || arg[0] == '.') return {"", arg};
    auto colon = arg.find(':');
    if (colon == std::string::npos || colon == 0) return {"", arg};
    return {arg.substr(0, colon), arg.substr(colon + 1)};
}

std::string absoluteCopyPath(const std::string& base, const std::string& path) {
    if (!path.empty() && path[0] == '/') return path;
    std::string b = base.empty() ? "/" : base;
    if (path.empty()) return b;
    if (b.back() != '/') b += '/';
    return b + path;
}

namespace {

/// Drops trailing slashes (but not the root's).
std::string trimSlashes(std::string p) {
    while (p.size() > 1 && p.back() == '/') p.pop_back();
    return p;
}

}  // namespace

std::string copyParentPath(const std::string& absPath) {
    std::string p = trimSlashes(absPath);
    auto pos = p.rfind('/');
    if (pos == std::string::npos || pos == 0) return "/";
    return trimSlashes(p.substr(0, pos));
}

std::string copyBaseName(const std::string& absPath) {
    std::string p = trimSlashes(absPath);
    if (p == "/") return "";
    auto pos = p.rfind('/');
    return pos == std::string::npos ? p : p.substr(pos + 1);
}

namespace {

bool endsWithDot(const std::string& path) { return path == "." || (path.size() >= 2 && path.compare(path.size() - 2, 2, "/.") == 0); }

std::string notFound(const std::string& path, const std::string& where, const char* why) {
    return "\"" + path + "\" could not be found on " + where + ": " + why;
}

}  // namespace

CopyPlan planCopy(const std::string& srcPath, const CopyStat& src, const std::string& dstPath, const CopyStat& dst,
                  const CopyStat& dstParent, const std::string& dstWhere) {
    const std::string srcName = copyBaseName(src.resolved);
    if (dst.exists) {
        if (dst.isDir) {
            // "DIR/." (or the root itself) onto a directory: the content, not the directory.
            bool content = src.isDir && (endsWithDot(srcPath) || srcName.empty());
            return {dst.resolved, content ? "" : srcName};
        }
        if (src.isDir) throw InvalidArgument("destination must be a directory when copying a directory");
        return {copyParentPath(dst.resolved), copyBaseName(dst.resolved)};
    }
    if (!dstPath.empty() && dstPath.back() == '/') throw InvalidArgument(notFound(dstPath, dstWhere, "no such file or directory"));
    if (!dstParent.exists) throw InvalidArgument(notFound(dstPath, dstWhere, "no such file or directory"));
    if (!dstParent.isDir) throw InvalidArgument(notFound(dstPath, dstWhere, "not a directory"));
    std::string name = copyBaseName(dstPath);
    if (name.empty() || name == "." || name == "..") throw InvalidArgument(notFound(dstPath, dstWhere, "no such file or directory"));
    return {dstParent.resolved, name};
}

std::string streamTopName(const std::string& srcPath, const CopyStat& src) {
    if (src.isDir && endsWithDot(srcPath)) return "";
    return copyBaseName(src.resolved);
}

}  // namespace hutch::engine
