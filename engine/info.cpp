#include "hutch/engine/info.hpp"

#include <sys/utsname.h>
#include <unistd.h>

#include <sstream>

#include "hutch/common/error.hpp"
#include "hutch/common/proc.hpp"
#include "hutch/common/version.hpp"
#include "hutch/common/fsutil.hpp"
#include "hutch/conf/registries.hpp"
#include "hutch/engine/network/network.hpp"
#include "hutch/registry/manifest.hpp"
#include "hutch/storage/store.hpp"

namespace hutch::engine {

using nlohmann::json;

const char* version() { return kVersion; }

namespace {
json idMap(const std::string& path) {
    json out = json::array();
    try {
        for (const auto& line : str::split(fsutil::readFile(path), '\n')) {
            std::istringstream in(line);
            uint64_t c = 0, h = 0, n = 0;
            if (in >> c >> h >> n) out.push_back({{"container_id", c}, {"host_id", h}, {"size", n}});
        }
    } catch (const Error&) {
    }
    return out;
}
}  // namespace

json info(Context& ctx) {
    utsname u{};
    ::uname(&u);
    auto& store = ctx.store();
    json registries = json::object();
    json search = json::array();
    try {
        const auto& rc = ctx.registries();
        search = rc.unqualifiedSearchRegistries;
        registries["files"] = rc.sources;
    } catch (const ConfigError& e) {
        registries["error"] = e.what();
    }
    registries["search"] = search;
    // The user-mode network stack of --network=private (podman shows host.pasta/slirp4netns).
    std::string helperExe, helper = defaultNetworkHelper(&helperExe);
    json network = {{"defaultNetwork", "private"},
                    {"helper", helper},
                    {"executable", helperExe}};
    for (const char* h : {"pasta", "slirp4netns"}) network[h] = {{"executable", proc::findProgram(h)}};
    return json{
        {"host",
         {{"arch", registry::hostPlatform().architecture},
          {"os", "linux"},
          {"kernel", u.release},
          {"hostname", u.nodename},
          {"security", {{"rootless", ctx.rootless()}}},
          {"idMappings", {{"uidmap", idMap("/proc/self/uid_map")}, {"gidmap", idMap("/proc/self/gid_map")}}},
          {"ociRuntime", {{"name", "hutch (embedded)"}, {"version", version()}}},
          {"network", network}}},
        {"store",
         {{"configFile", ctx.storageConfFile()},
          {"graphDriverName", store.driverName()},
          {"graphDriverReason", store.driverReason()},
          {"graphRoot", store.graphRoot()},
          {"runRoot", store.runRoot()},
          {"imageStore", {{"number", store.images().size()}}},
          {"containerStore", {{"number", store.containers().size()}}}}},
        {"registries", registries},
        {"version", {{"Version", version()}, {"OsArch", "linux/" + registry::hostPlatform().architecture}}}};
}

}  // namespace hutch::engine
