// The build executor's internals (engine/build/executor*.cpp only): the per-stage state and
// the Executor class that runs stages and steps. Not a public API: see build.hpp.
#pragma once

#include <signal.h>

#include <cstdlib>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include "hutch/builder/dockerignore.hpp"
#include "hutch/builder/instructions.hpp"
#include "hutch/common/error.hpp"
#include "hutch/common/fd.hpp"
#include "hutch/common/fsutil.hpp"
#include "hutch/common/log.hpp"
#include "hutch/engine/build/build.hpp"
#include "hutch/engine/build/build_cache.hpp"
#include "hutch/engine/build/copy_step.hpp"
#include "hutch/engine/build/working_container.hpp"
#include "hutch/storage/layers.hpp"

namespace hutch::engine::build::detail {

using json = nlohmann::json;
using namespace builder;

using ArgMap = std::map<std::string, std::optional<std::string>>;

struct Stage {
    std::string imageId;  ///< current image ("" = scratch, nothing committed yet)
    json config;          ///< the current image's config
    ArgMap args;          ///< ARGs declared in this stage
};


/// Blocks SIGINT, SIGTERM, SIGHUP and SIGQUIT for its lifetime (pending ones are delivered
/// when it ends).
class SignalDefer {
public:
    SignalDefer();
    ~SignalDefer();
    SignalDefer(const SignalDefer&) = delete;
    SignalDefer& operator=(const SignalDefer&) = delete;

private:
    sigset_t old_;
};

/// Runs one build (buildImage).
class Executor {
public:
    /// `out` receives the progress lines (nothing with -q).
    Executor(Context& ctx, const BuildOptions& o, std::ostream& out);
    /// Removes the helper images of scratch stages; errors are logged.
    ~Executor();
    Executor(const Executor&) = delete;
    Executor& operator=(const Executor&) = delete;

    /// Builds the target stage and returns its image id (see buildImage).
    std::string run();

private:
    void prepareContext();
    void loadInputs();
    void runStage(size_t index, size_t count, bool last);
    std::string resolveBase(const std::string& image, int line);
    void doStep(Stage& st, const Instruction& raw, bool finalStep, const std::string& prefix);
    std::string commit(Stage& st, std::optional<storage::Layer> layer, const json& history, bool reload = true);
    std::string ensureImage(Stage& st);
    std::optional<std::string> expandedArg(const std::string& key) const;
    EnvLookup envFor(const Stage& st) const;
    std::vector<std::string> argsInUse(const Stage& st) const;
    /// A COPY/ADD's sources, resolved before the cache lookup (their hash is in the key).
    struct CopyPlan {
        std::unique_ptr<WorkingContainer> fromCtr;  ///< --from: a container of that image, mounted
        UniqueFd fromFd;
        std::unique_ptr<fsutil::TempDir> tmp;  ///< downloaded and heredoc sources
        UniqueFd tmpFd;
        SourceRoot root, tmpRoot;
        std::vector<ResolvedSource> localSrc, stagedSrc;
        std::string summary;  ///< "<kind>:<hash>"
    };
    std::unique_ptr<CopyPlan> planCopy(const Instruction& in);
    std::optional<storage::Layer> doCopy(Stage& st, const Instruction& in, CopyPlan& plan);
    std::optional<storage::Layer> doRun(Stage& st, const Instruction& in);
    std::optional<storage::Layer> doWorkdir(Stage& st);
    std::string squash(const std::string& baseId, const std::string& finalId, bool all, bool hasSteps);
    ConfigError errorAt(int line, const std::string& msg) const { return ConfigError(fileShown_, line, msg); }

    Context& ctx_;
    const BuildOptions& o_;
    std::ostringstream null_;
    std::ostream& out_;
    BuildCache cache_;
    std::string fileShown_;
    Dockerfile df_;
    ShellLexer lexer_;
    std::map<std::string, std::string> cliArgs_;
    ArgMap metaArgs_;
    DockerIgnore ignore_;
    std::string contextDir_;  ///< o_.contextDir, or the one made from stdin (prepareContext)
    std::unique_ptr<fsutil::TempDir> contextTmp_;  ///< holds a context made by prepareContext
    UniqueFd contextFd_;
    std::vector<std::string> stageImages_;
    std::vector<std::string> labels_;
    std::vector<std::string> tags_;
    std::string targetBase_;  ///< the target stage's FROM image ("" = scratch)
    bool inTarget_ = false;   ///< the stage being built is the target
    std::vector<std::string> targetMade_;  ///< images the target stage's steps committed, in order
    std::vector<std::string> helpers_;  ///< empty images made for scratch stages' containers
    std::unique_ptr<BuildOwner> owner_;  ///< made with the first container (owner())
    /// The build's owner tag for its containers' names; the first call sweeps what killed
    /// builds left (BuildOwner).
    BuildOwner& owner() {
        if (!owner_) owner_ = std::make_unique<BuildOwner>(ctx_);
        return *owner_;
    }

};

}  // namespace hutch::engine::build::detail
