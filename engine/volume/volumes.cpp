#include "hutch/engine/volume/volumes.hpp"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>

#include "hutch/common/error.hpp"
#include "hutch/common/jsonbytes.hpp"
#include "hutch/common/log.hpp"
#include "hutch/engine/container/container_record.hpp"
#include "hutch/engine/container/containers.hpp"
#include "hutch/engine/core/events.hpp"
#include "hutch/engine/spec/mountspec.hpp"
#include "hutch/storage/store.hpp"

namespace hutch::engine {

using nlohmann::json;
using Mode = fsutil::FileLock::Mode;

namespace {

std::string volumesDir(Context& ctx) { return fsutil::join(ctx.store().graphRoot(), "volumes"); }
std::string volumeDir(Context& ctx, const std::string& name) { return fsutil::join(volumesDir(ctx), name); }
std::string recordPath(Context& ctx, const std::string& name) { return fsutil::join(volumeDir(ctx, name), "volume.json"); }

/// Entry names of `dir` (no "." / ".."); empty when it does not exist.
std::vector<std::string> entries(const std::string& dir) {
    std::vector<std::string> out;
    DIR* d = ::opendir(dir.c_str());
    if (!d) {
        if (errno == ENOENT) return out;
        throw SysError(errno, "open " + dir);
    }
    while (dirent* e = ::readdir(d)) {
        std::string n = e->d_name;
        if (n != "." && n != "..") out.push_back(n);
    }
    ::closedir(d);
    std::sort(out.begin(), out.end());
    return out;
}

/// Removes what a killed create/remove left behind (.tmp-*, .rm-*). Lock held exclusively.
void cleanLeftovers(const std::string& dir) {
    for (const auto& n : entries(dir))
        if (n.rfind(".tmp-", 0) == 0 || n.rfind(".rm-", 0) == 0) {
            log::debug("volumes: removing leftover {}", n);
            fsutil::removeAll(fsutil::join(dir, n));
        }
}

Volume readVolume(Context& ctx, const std::string& name) {
    std::string path = recordPath(ctx, name);
    std::string text = fsutil::readFile(path);  // NotFound when missing
    try {
        Volume v = Volume::fromJson(jsonbytes::parse(text));
        v.mountpoint = fsutil::join(volumeDir(ctx, name), "_data");
        return v;
    } catch (const json::exception& e) {
        throw Error(path + ": corrupt volume record: " + e.what());
    }
}

/// The value of KEY=VALUE in the comma-separated `o` option string, or "".
std::string oValue(const std::string& o, const std::string& key) {
    for (const auto& w : str::split(o, ',')) {
        auto [k, v] = str::cut(w, '=');
        if (k == key) return v;
    }
    return "";
}

/// Removes volume directory `name`: renamed away first, then deleted. Lock held.
void removeVolumeDir(Context& ctx, const std::string& name) {
    std::string from = volumeDir(ctx, name);
    std::string to = fsutil::join(volumesDir(ctx), ".rm-" + str::randomHex(8));
    checkSys(::rename(from.c_str(), to.c_str()), "remove volume " + name);
    fsutil::removeAll(to);
}

std::vector<std::string> usersLocked(Context& ctx, const std::string& name) {
    std::vector<std::string> out;
    for (const auto& c : listContainers(ctx))
        if (std::find(c.volumes.begin(), c.volumes.end(), name) != c.volumes.end()) out.push_back(c.id);
    return out;
}

}  // namespace

bool Volume::isTmpfs() const {
    auto it = options.find("type");
    return it != options.end() && it->second == "tmpfs";
}

bool Volume::isDevice() const {
    auto it = options.find("type");
    return it != options.end() && !it->second.empty() && it->second != "tmpfs";
}

json Volume::toJson() const {
    return json{{"name", name},         {"driver", driver},         {"createdAt", createdAt},
                {"labels", labels},     {"options", options},       {"anonymous", anonymous},
                {"needsCopyUp", needsCopyUp}, {"needsChown", needsChown}};
}

Volume Volume::fromJson(const json& j) {
    try {
        Volume v;
        v.name = j.at("name");
        v.driver = j.value("driver", "local");
        v.createdAt = j.value("createdAt", "");
        v.labels = j.value("labels", std::map<std::string, std::string>{});
        v.options = j.value("options", std::map<std::string, std::string>{});
        v.anonymous = j.value("anonymous", false);
        v.needsCopyUp = j.value("needsCopyUp", true);
        v.needsChown = j.value("needsChown", true);
        return v;
    } catch (const json::exception& e) {
        throw Error(std::string("volume record: ") + e.what());
    }
}

fsutil::FileLock lockVolumes(Context& ctx, Mode mode) {
    std::string dir = volumesDir(ctx);
    fsutil::mkdirAll(dir, 0700);
    return fsutil::FileLock(fsutil::join(dir, "volumes.lock"), mode);
}

Volume createVolume(Context& ctx, const VolumeCreateOptions& opts, bool locked) {
    if (opts.driver != "local" && !opts.driver.empty())
        throw InvalidArgument("volume driver \"" + opts.driver + "\": only the local driver is supported");
    std::string name = opts.name.empty() ? str::randomHex(32) : opts.name;
    checkVolumeName(name);
    for (const auto& [k, v] : opts.options) checkVolumeOption(k, "volume " + name + ": --opt " + k + "=" + v);
    if (auto t = opts.options.find("type"); t != opts.options.end() && t->second == "tmpfs")
        if (auto o = opts.options.find("o"); o != opts.options.end() && !o->second.empty())
            for (const auto& w : str::split(o->second, ',')) {
                auto [k, v] = str::cut(w, '=');
                bool known = w == "ro" || w == "rw" || w == "exec" || w == "noexec" || w == "suid" || w == "nosuid" ||
                             w == "dev" || w == "nodev" || k == "size" || k == "mode" || k == "uid" || k == "gid" ||
                             k == "nr_inodes" || k == "nr_blocks" || w == "noatime" || w == "relatime";
                if (!known)
                    throw InvalidArgument("volume " + name + ": --opt o=" + o->second + ": unknown tmpfs option \"" + w + "\"");
            }

    std::optional<fsutil::FileLock> lock;
    if (!locked) lock.emplace(lockVolumes(ctx, Mode::Exclusive));
    std::string dir = volumesDir(ctx);
    cleanLeftovers(dir);
    if (fsutil::exists(volumeDir(ctx, name)))
        throw AlreadyExists("volume with name " + name + " already exists: volume already exists");

    Volume v;
    v.name = name;
    v.driver = "local";
    v.createdAt = nowRfc3339();
    v.labels = opts.labels;
    v.options = opts.options;
    v.anonymous = opts.anonymous;
    v.needsCopyUp = !opts.options.count("nocopy");
    std::string tmp = fsutil::join(dir, ".tmp-" + str::randomHex(8));
    try {
        checkSys(::mkdir(tmp.c_str(), 0700), "create volume " + name);
        checkSys(::mkdir(fsutil::join(tmp, "_data").c_str(), 0755), "create volume " + name + " data");
        ::chmod(fsutil::join(tmp, "_data").c_str(), 0755);  // whatever the umask
        fsutil::writeFileAtomic(fsutil::join(tmp, "volume.json"), jsonbytes::dump(v.toJson(), 1), 0600, fsutil::Sync::Durable);
        checkSys(::rename(tmp.c_str(), volumeDir(ctx, name).c_str()), "create volume " + name);
    } catch (...) {
        try {
            fsutil::removeAll(tmp);
        } catch (const std::exception& e) {
            log::warn("volumes: cleaning up {}: {}", tmp, e.what());
        }
        throw;
    }
    v.mountpoint = fsutil::join(volumeDir(ctx, name), "_data");
    log::debug("volumes: created {}", name);
    recordEvent(ctx, "volume", "create", "", name, "");
    return v;
}

std::optional<Volume> findVolume(Context& ctx, const std::string& name) {
    if (name.empty() || name[0] == '.' || name.find('/') != std::string::npos) return std::nullopt;
    try {
        return readVolume(ctx, name);
    } catch (const NotFound&) {
        return std::nullopt;
    }
}

Volume loadVolume(Context& ctx, const std::string& name) {
    auto v = findVolume(ctx, name);
    if (!v) throw NotFound("no volume with name \"" + name + "\" found: no such volume");
    return *v;
}

std::vector<Volume> listVolumes(Context& ctx) {
    auto lock = lockVolumes(ctx, Mode::Shared);
    std::vector<Volume> out;
    for (const auto& n : entries(volumesDir(ctx))) {
        if (n.empty() || n[0] == '.' || n == "volumes.lock") continue;
        if (auto v = findVolume(ctx, n)) out.push_back(*v);
    }
    return out;
}

void saveVolume(Context& ctx, const Volume& v) {
    fsutil::writeFileAtomic(recordPath(ctx, v.name), jsonbytes::dump(v.toJson(), 1), 0600, fsutil::Sync::Volatile);
}

std::vector<std::string> volumeUsers(Context& ctx, const std::string& name) {
    auto lock = lockVolumes(ctx, Mode::Shared);
    return usersLocked(ctx, name);
}

void removeVolume(Context& ctx, const std::string& name, bool force) {
    auto lock = lockVolumes(ctx, Mode::Exclusive);
    loadVolume(ctx, name);
    auto users = usersLocked(ctx, name);
    if (!users.empty() && !force)
        throw Error("volume " + name + " is being used by the following container(s): " + str::join(users, ", ") +
                    ": volume is being used");
    for (const auto& id : users) {
        try {
            removeContainer(ctx, id, true);
            log::debug("volumes: removed container {} using volume {}", id, name);
        } catch (const NotFound&) {
            // Removed meanwhile (an `rm -f` racing us): not a reason to keep the volume. A
            // NotFound escaping from here would read as "no such volume" to `volume rm -f`.
        }
    }
    cleanLeftovers(volumesDir(ctx));
    removeVolumeDir(ctx, name);
    recordEvent(ctx, "volume", "remove", "", name, "");
}

std::vector<std::string> pruneVolumes(Context& ctx) {
    auto lock = lockVolumes(ctx, Mode::Exclusive);
    std::vector<std::string> used;
    for (const auto& c : listContainers(ctx)) used.insert(used.end(), c.volumes.begin(), c.volumes.end());
    std::vector<std::string> removed;
    for (const auto& n : entries(volumesDir(ctx))) {
        if (n.empty() || n[0] == '.' || n == "volumes.lock" || !findVolume(ctx, n)) continue;
        if (std::find(used.begin(), used.end(), n) != used.end()) continue;
        removeVolumeDir(ctx, n);
        recordEvent(ctx, "volume", "prune", "", n, "");
        removed.push_back(n);
    }
    cleanLeftovers(volumesDir(ctx));
    return removed;
}

void deleteVolumeLocked(Context& ctx, const std::string& name) { removeVolumeDir(ctx, name); }

nlohmann::ordered_json inspectVolume(const Volume& v) {
    nlohmann::ordered_json j;
    j["Name"] = v.name;
    j["Driver"] = v.driver;
    j["Mountpoint"] = v.mountpoint;
    j["CreatedAt"] = v.createdAt;
    j["Labels"] = v.labels;
    j["Scope"] = "local";
    nlohmann::ordered_json opts = nlohmann::ordered_json::object();
    std::string o = v.options.count("o") ? v.options.at("o") : "";
    std::string uid = oValue(o, "uid"), gid = oValue(o, "gid");
    if (!gid.empty()) opts["GID"] = gid;
    if (!uid.empty()) opts["UID"] = uid;
    for (const auto& [k, val] : v.options) opts[k] = val;
    j["Options"] = opts;
    try {
        if (!uid.empty()) j["UID"] = std::stoi(uid);
        if (!gid.empty()) j["GID"] = std::stoi(gid);
    } catch (const std::exception&) {
    }
    j["MountCount"] = 0;
    j["NeedsCopyUp"] = v.needsCopyUp;
    if (v.needsChown && uid.empty() && gid.empty()) j["NeedsChown"] = true;
    return j;
}

void removeAnonymousVolumes(Context& ctx, const std::vector<std::string>& names) {
    if (names.empty()) return;
    try {
        auto lock = lockVolumes(ctx, Mode::Exclusive);
        for (const auto& n : names) {
            auto v = findVolume(ctx, n);
            if (!v || !v->anonymous || !usersLocked(ctx, n).empty()) continue;
            removeVolumeDir(ctx, n);
            recordEvent(ctx, "volume", "remove", "", n, "");
            log::debug("volumes: removed anonymous volume {}", n);
        }
    } catch (const std::exception& e) {
        log::error("removing anonymous volumes: {}", e.what());
    }
}

}  // namespace hutch::engine
