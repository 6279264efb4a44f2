// Container records in the store: load, save, list (ps), remove (rm). Recovery and inspect
// (which need the volumes) are container_ops.hpp.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "hutch/common/fsutil.hpp"
#include "hutch/engine/container/container_record.hpp"
#include "hutch/engine/core/context.hpp"

namespace hutch::engine {

/// The record of the container named or id'd (full id or unique prefix) by `nameOrId`, with
/// its effective state (a "running" one whose process or monitor is gone reads as exited;
/// 137 when the monitor went). Reads only: never kills or writes. Throws NotFound ("no
/// container with name or ID ... found: no such container").
ContainerRecord loadContainer(Context& ctx, const std::string& nameOrId);
/// Why a container whose monitor went is exited (its record's error).
inline constexpr const char* kMonitorGone = "the container's monitor exited while the container was running";
/// Writes the record back as the storage container's metadata.
void saveContainer(Context& ctx, const ContainerRecord& r);
/// Every container, newest first, with effective status applied.
std::vector<ContainerRecord> listContainers(Context& ctx);

/// `rename`: gives the container named or id'd by `nameOrId` (any state) the name
/// `newName`, checked as `--name` is (validateName); its old name is free afterwards.
/// Renaming to its own name is a no-op. Throws NotFound, InvalidArgument (the name),
/// AlreadyExists (podman's message: the name is another container's).
void renameContainer(Context& ctx, const std::string& nameOrId, const std::string& newName);

/// `rm`: removes a container and its rootfs. A running one needs `force` (then it is
/// killed with SIGKILL first), else Error naming it. Waits for a start under way
/// (lockContainerStart) to end first, so a container is never removed under its own start.
/// Throws NotFound.
void removeContainer(Context& ctx, const std::string& nameOrId, bool force);

/// The lock a start of container `id` holds from before its rootfs is mounted until its
/// record says running (or the start failed): <runroot>/locks/<id>.start, exclusive,
/// blocking. Taken by every start (Launch) and by `rm`. Throws SysError.
fsutil::FileLock lockContainerStart(Context& ctx, const std::string& id);
/// Removes that lock's file, once the container is gone. Never throws.
void removeContainerStartLock(Context& ctx, const std::string& id) noexcept;


}  // namespace hutch::engine
