// The build cache index (--layers): step key -> intermediate image id, kept as one small
// JSON file under the graph root (<graphroot>/build-cache.json), rewritten atomically under
// a file lock. An entry whose image no longer exists is ignored (and dropped on the next
// write). Keys are computed by stepKey from everything that decides a step's result.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace hutch::engine::build {

/// What identifies a step's result (podman/buildah's cache rules): the parent image id,
/// the instruction text, the build args in scope (name=value, any order: they are sorted),
/// for COPY/ADD the content hash of the sources, and anything else that changes the
/// result (image format, --label values, ...). Returns 64 hex.
std::string stepKey(const std::string& parentImageId, const std::string& instruction,
                    std::vector<std::string> argsInUse, const std::string& contentHash,
                    const std::string& extra);

class BuildCache {
public:
    /// `file` is the index path; `imageExists` tells whether an image id still exists.
    BuildCache(std::string file, std::function<bool(const std::string&)> imageExists);

    /// The image id cached for `key`, or nullopt (also when that image is gone). Throws
    /// ConfigError naming the file when it is not valid JSON.
    std::optional<std::string> lookup(const std::string& key) const;
    /// Records key -> imageId (re-reads the file under its lock, drops gone entries,
    /// writes it atomically). Throws SysError.
    void store(const std::string& key, const std::string& imageId);

private:
    std::map<std::string, std::string> load() const;
    std::string file_;
    std::function<bool(const std::string&)> exists_;
};

}  // namespace hutch::engine::build
