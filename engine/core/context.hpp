// The engine's per-command context: global options, the store, the registries
// configuration. One is made per CLI command and passed down explicitly (no globals).
#pragma once

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>

namespace hutch::storage {
class Store;
}
namespace hutch::conf {
struct RegistriesConf;
}

namespace hutch::engine {

/// Options every command takes (podman's global flags).
struct GlobalOptions {
    std::string root;           ///< --root: graphroot override ("" = default)
    std::string runroot;        ///< --runroot: runroot override ("" = default)
    std::string storageDriver;  ///< --storage-driver ("" = the store's, or overlay where it works)
};

/// Default graphroot and runroot for the calling user: rootless
/// $XDG_DATA_HOME/hutch/storage (~/.local/share/hutch/storage) and $XDG_RUNTIME_DIR/hutch
/// (falling back to /tmp/hutch-<uid> when XDG_RUNTIME_DIR is unset); rootful
/// /var/lib/hutch/storage and /run/hutch.
struct StorePaths {
    std::string graphRoot, runRoot;
};
StorePaths defaultStorePaths(bool rootless);

/// The host uid behind this process: getuid() outside a user namespace, else the host id
/// that uid 0 of the current namespace maps to (from /proc/self/uid_map).
uid_t hostUid();

/// Must be called first, before any thread starts (libcurl, pull workers): a rootless
/// caller enters the session user namespace here (runtime::enterRootlessSession). Idempotent.
void prepareProcess(bool needsStore);

class Context {
public:
    explicit Context(GlobalOptions opts);
    ~Context();
    Context(const Context&) = delete;
    Context& operator=(const Context&) = delete;

    const GlobalOptions& options() const { return opts_; }
    /// True when hutch runs without host root (inside its session user namespace).
    bool rootless() const { return rootless_; }
    /// The store, opened (and recovered) on first use with the global flags, else
    /// storage.conf's [storage] driver/graphroot/runroot (conf/storage_conf.hpp), else the
    /// defaults. Throws on open errors, ConfigError naming storage.conf and the key.
    storage::Store& store();
    /// The store's graph root and run root directories (opens the store as store() does).
    std::string graphRoot();
    std::string runRoot();
    /// The storage.conf the store was opened with ("" = none). Valid after store().
    const std::string& storageConfFile() const { return storageConfFile_; }
    /// registries.conf, loaded on first use. Throws ConfigError naming the file and line.
    const conf::RegistriesConf& registries();

private:
    GlobalOptions opts_;
    bool rootless_;
    std::unique_ptr<storage::Store> store_;
    std::string storageConfFile_;
    std::unique_ptr<conf::RegistriesConf> registries_;
};

}  // namespace hutch::engine
