#include "hutch/engine/container/containers.hpp"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <thread>

#include "hutch/common/error.hpp"
#include "hutch/common/fsutil.hpp"
#include "hutch/common/jsonbytes.hpp"
#include "hutch/common/log.hpp"
#include "hutch/engine/container/names.hpp"
#include "hutch/engine/container/container_events.hpp"
#include "hutch/engine/container/network_cleanup.hpp"
#include "hutch/storage/store.hpp"

namespace hutch::engine {

using nlohmann::json;


ContainerRecord loadContainer(Context& ctx, const std::string& nameOrId) {
    auto c = ctx.store().lookupContainer(nameOrId);
    if (!c) throw NotFound("no container with name or ID \"" + nameOrId + "\" found: no such container");
    json j;
    try {
        j = jsonbytes::parse(c->metadata);
    } catch (const json::exception& e) {
        throw Error("container " + c->id + ": metadata is not JSON: " + e.what());
    }
    auto r = ContainerRecord::fromJson(j);
    // The store's name is the container's name: `rename` changes it there and in the record
    // together, but a monitor may write back a record it loaded before.
    if (!c->names.empty()) r.name = c->names.front();
    // The effective state only: loading never kills or writes (recoverContainers() does).
    if (r.status == ContainerStatus::Running && monitorGone(r)) {
        r.exitCode = 137;
        r.error = kMonitorGone;
    }
    if (r.status == ContainerStatus::Running && effectiveStatus(r) == ContainerStatus::Exited) {
        r.status = ContainerStatus::Exited;
        if (r.finishedAt.empty()) r.finishedAt = nowRfc3339();
        r.pid = 0;
    }
    return r;
}

void saveContainer(Context& ctx, const ContainerRecord& r) { ctx.store().setContainerMetadata(r.id, jsonbytes::dump(r.toJson())); }

std::vector<ContainerRecord> listContainers(Context& ctx) {
    std::vector<ContainerRecord> out;
    for (const auto& c : ctx.store().containers()) {
        try {
            out.push_back(loadContainer(ctx, c.id));
        } catch (const NotFound&) {
            // Removed by another command meanwhile.
        }
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.created > b.created; });
    return out;
}

void renameContainer(Context& ctx, const std::string& nameOrId, const std::string& newName) {
    ContainerRecord r = loadContainer(ctx, nameOrId);
    validateName(newName);
    try {
        ctx.store().renameContainer(r.id, newName, [&](const std::string& metadata) {
            json j = jsonbytes::parse(metadata);
            j["name"] = newName;
            return jsonbytes::dump(j);
        });
    } catch (const AlreadyExists&) {
        throw Error("renaming container " + r.id + ": name " + newName + " already in use, cannot rename container " +
                    r.id + ": container already exists");
    }
}

namespace {
std::string startLockPath(Context& ctx, const std::string& id) {
    return fsutil::join(ctx.store().runRoot(), "locks/" + id + ".start");
}
}  // namespace

fsutil::FileLock lockContainerStart(Context& ctx, const std::string& id) {
    fsutil::mkdirAll(fsutil::join(ctx.store().runRoot(), "locks"), 0700);
    return fsutil::FileLock(startLockPath(ctx, id), fsutil::FileLock::Mode::Exclusive);
}

void removeContainerStartLock(Context& ctx, const std::string& id) noexcept {
    try {
        ::unlink(startLockPath(ctx, id).c_str());
    } catch (const std::exception&) {
    }
}

void removeContainer(Context& ctx, const std::string& nameOrId, bool force) {
    auto c = ctx.store().lookupContainer(nameOrId);
    if (!c) throw NotFound("no container with name or ID \"" + nameOrId + "\" found: no such container");
    // A start under way (run -d, start, restart) ends first: then the container is running
    // (and killed below) or its start failed, never half made.
    fsutil::FileLock starting = lockContainerStart(ctx, c->id);
    ContainerRecord r = loadContainer(ctx, c->id);
    if (effectiveStatus(r) == ContainerStatus::Running) {
        if (!force)
            throw Error("cannot remove container " + r.id +
                        " as it is running - running or paused containers cannot be removed without force");
        ::kill(r.pid, SIGKILL);
        for (int i = 0; i < 200 && processStartTime(r.pid) != 0; ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    cleanupNetwork(r.netState);  // its monitor does it too, unless it was killed
    ctx.store().removeContainer(r.id);
    removeContainerStartLock(ctx, r.id);
    recordContainerEvent(ctx, r, "remove");
}

}  // namespace hutch::engine
