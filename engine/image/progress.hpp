// Pull progress display: a line per layer redrawn in place on a terminal, plain
// podman-style lines on a pipe. Thread-safe: layer workers report concurrently.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace hutch::engine {

class Progress {
public:
    virtual ~Progress() = default;
    /// A status line such as "Trying to pull ...".
    virtual void message(std::string_view line) = 0;
    /// A blob transfer begins; `size` in bytes (-1 unknown).
    virtual void blobStart(const std::string& digest, int64_t size) = 0;
    /// `bytes` transferred so far for that blob.
    virtual void blobProgress(const std::string& digest, uint64_t bytes) = 0;
    /// The blob is done (or was skipped because the layer exists).
    virtual void blobDone(const std::string& digest, bool skipped) = 0;

    /// Progress on stderr: redrawn bars when stderr is a terminal, else plain lines;
    /// nothing at all when `quiet`.
    static std::unique_ptr<Progress> forStderr(bool quiet);
};

}  // namespace hutch::engine
