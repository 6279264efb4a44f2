// storage.conf (containers-storage.conf(5)): the keys hutch understands, [storage] driver,
// graphroot and runroot. Read from $CONTAINERS_STORAGE_CONF, else, rootless,
// $XDG_CONFIG_HOME/containers/storage.conf (~/.config/...). The system file
// /etc/containers/storage.conf is not read: its graphroot is podman's store, and hutch never
// shares podman's store by accident (its own defaults apply instead).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace hutch::conf {

/// What storage.conf sets; empty strings are unset (hutch's defaults apply).
struct StorageConf {
    std::string driver;     ///< [storage] driver ("overlay", "vfs")
    std::string graphRoot;  ///< [storage] graphroot
    std::string runRoot;    ///< [storage] runroot
    std::string source;     ///< the file read, "" when none
};

/// Parses one storage.conf text; `path` names it in errors. Unknown keys and tables are
/// logged (warn) and ignored; a key of the wrong type or a TOML syntax error throws
/// ConfigError naming the file, line and key.
StorageConf parseStorageConf(std::string_view content, const std::string& path);

/// The file to read: $CONTAINERS_STORAGE_CONF (must exist: NotFound otherwise), else for a
/// rootless caller $XDG_CONFIG_HOME/containers/storage.conf (default $HOME/.config) if it
/// exists; nullopt when there is none.
std::optional<std::string> storageConfPath(bool rootless);

/// Loads storage.conf (storageConfPath): an empty StorageConf when there is none. Throws
/// ConfigError / NotFound naming the file.
StorageConf loadStorageConf(bool rootless);

}  // namespace hutch::conf
