#include "hutch/engine/core/context.hpp"

#include <unistd.h>

#include <cstdlib>
#include <sstream>

#include "hutch/common/error.hpp"
#include "hutch/common/fsutil.hpp"
#include "hutch/conf/registries.hpp"
#include "hutch/conf/storage_conf.hpp"
#include "hutch/engine/core/runtime_proc.hpp"
#include "hutch/runtime/session.hpp"
#include "hutch/storage/store.hpp"

namespace hutch::engine {
namespace {
std::string env(const char* name) {
    const char* v = std::getenv(name);
    return v ? v : "";
}
}  // namespace

uid_t hostUid() {
    // In a user namespace, the line mapping uid 0 names the host uid behind it.
    try {
        for (const auto& line : str::split(fsutil::readFile("/proc/self/uid_map"), '\n')) {
            std::istringstream in(line);
            unsigned long inside = 0, outside = 0, count = 0;
            if (in >> inside >> outside >> count && inside == 0 && count < 4294967295UL)
                return static_cast<uid_t>(outside);
        }
    } catch (const Error&) {
    }
    return ::getuid();
}

StorePaths defaultStorePaths(bool rootless) {
    if (!rootless) return {"/var/lib/hutch/storage", "/run/hutch"};
    std::string data = env("XDG_DATA_HOME");
    if (data.empty()) data = env("HOME") + "/.local/share";
    std::string run = env("XDG_RUNTIME_DIR");
    // Inside the session namespace getuid() is 0; the session records the host uid.
    if (run.empty()) run = "/tmp/hutch-run-" + std::to_string(hostUid());
    return {data + "/hutch/storage", run + "/hutch"};
}

void prepareProcess(bool needsStore) {
    if (needsStore && runtime::isRootless()) runtime::enterRootlessSession();
}

Context::Context(GlobalOptions opts) : opts_(std::move(opts)), rootless_(runtime::isRootless()) {}
Context::~Context() = default;

storage::Store& Context::store() {
    if (!store_) {
        StorePaths d = defaultStorePaths(rootless_);
        // Flags, then storage.conf, then hutch's defaults.
        conf::StorageConf c = conf::loadStorageConf(rootless_);
        storageConfFile_ = c.source;
        auto pick = [](const std::string& flag, const std::string& fromConf, const std::string& def) {
            return !flag.empty() ? flag : !fromConf.empty() ? fromConf : def;
        };
        storage::StoreOptions o;
        o.graphRoot = pick(opts_.root, c.graphRoot, d.graphRoot);
        o.runRoot = pick(opts_.runroot, c.runRoot, d.runRoot);
        o.driver = pick(opts_.storageDriver, c.driver, "");
        store_ = storage::Store::open(o);
        setSeccompCacheDir(fsutil::join(o.runRoot, "seccomp"));
    }
    return *store_;
}

std::string Context::graphRoot() { return store().graphRoot(); }
std::string Context::runRoot() { return store().runRoot(); }

const conf::RegistriesConf& Context::registries() {
    if (!registries_) registries_ = std::make_unique<conf::RegistriesConf>(conf::loadRegistriesConf());
    return *registries_;
}

}  // namespace hutch::engine
