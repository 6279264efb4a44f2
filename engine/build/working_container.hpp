// A build's working container: a storage container on an intermediate image whose rootfs
// the builder writes into (COPY, ADD, WORKDIR) or runs a command in (RUN), committed as the
// step's layer and always removed, also when the step fails.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "hutch/common/fsutil.hpp"
#include "hutch/engine/core/context.hpp"
#include "hutch/engine/spec/specgen.hpp"
#include "hutch/storage/layers.hpp"

namespace hutch::engine::build {

class WorkingContainer {
public:
    /// Creates a container (record state "created", name "hutch-build-<owner>-<hex>") on
    /// `imageId`; `owner` is the build's BuildOwner tag. Throws as Store::createContainer.
    WorkingContainer(Context& ctx, const std::string& imageId, const std::string& owner);
    /// Unmounts and removes the container and its anonymous volumes; errors are logged.
    ~WorkingContainer();
    WorkingContainer(const WorkingContainer&) = delete;
    WorkingContainer& operator=(const WorkingContainer&) = delete;

    /// Mounts the rootfs and returns its path. Throws as Store::mountContainer.
    std::string mount();
    /// The container's changes as a layer (nullopt = nothing changed). Unmounts first.
    std::optional<storage::Layer> commit();
    const std::string& id() const { return id_; }

private:
    Context& ctx_;
    std::string id_;
    bool mounted_ = false;
};

/// Runs `cfg.command` in a fresh container of `imageId` in the foreground (output to
/// hutch's stdout/stderr), then returns its layer (nullopt = no change) and removes it.
/// Throws CommandError(status, "... exit status N") when the command exits non-zero,
/// CommandError(126/127) when it cannot be started, and the run's errors.
std::optional<storage::Layer> runInContainer(Context& ctx, const std::string& imageId, const ContainerConfig& cfg,
                                             const std::string& owner);

/// Marks the containers of one build as its own while it lives: a directory
/// <runroot>/hutch-build-<tag> held locked (fsutil::TempDir). The containers of a build
/// killed before it could remove them are then known by their name's tag.
class BuildOwner {
public:
    /// Makes the directory and removes what builds that are gone left (their containers,
    /// then their directories). Throws as fsutil::TempDir.
    explicit BuildOwner(Context& ctx);
    const std::string& tag() const { return tag_; }

private:
    fsutil::TempDir dir_;
    std::string tag_;
};

}  // namespace hutch::engine::build
