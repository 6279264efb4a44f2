// registries.conf (containers-registries.conf(5)): parsing, drop-in merging and registry
// lookup, following containers/image pkg/sysregistriesv2 (system_registries_v2.go,
// shortnames.go). Immutable once loaded; the registry module reads it.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hutch::conf {

/// short-name-mode. Unset only in a single file's parse; a loaded configuration is never
/// Unset (defaults to Permissive). Invalid is what a caller may set to model upstream's
/// ShortNameModeInvalid (the resolver refuses it).
enum class ShortNameMode { Unset, Disabled, Permissive, Enforcing, Invalid };

/// Parses "disabled" | "permissive" | "enforcing"; throws InvalidArgument otherwise.
ShortNameMode parseShortNameMode(std::string_view s);

/// A registry or mirror location ([[registry]] location/insecure, [[registry.mirror]]).
struct Endpoint {
    std::string location;        ///< host[:port][/namespace]; "" only for a "*.x" prefix
    bool insecure = false;       ///< http allowed, TLS verification off
    std::string pullFromMirror;  ///< mirrors only: "" | "all" | "digest-only" | "tag-only"
};

/// One [[registry]] table after normalisation (prefix defaults to location).
struct Registry {
    std::string prefix;
    Endpoint endpoint;
    bool blocked = false;
    bool mirrorByDigestOnly = false;
    std::vector<Endpoint> mirrors;
};

/// The merged configuration.
struct RegistriesConf {
    std::vector<std::string> unqualifiedSearchRegistries;
    ShortNameMode shortNameMode = ShortNameMode::Unset;
    /// short name -> normalized fully-qualified name (no tag). An empty value means "no
    /// alias" (a drop-in reset it), exactly as upstream keeps it.
    std::map<std::string, std::string> aliases;
    std::vector<Registry> registries;  ///< unique prefixes, sorted by prefix (byte order)
    std::vector<std::string> sources;  ///< files read, in order
    std::vector<std::string> credentialHelpers;     ///< default {"containers-auth.json"}
    std::string unqualifiedSearchRegistriesOrigin;  ///< file that set the search list
    std::map<std::string, std::string> aliasOrigins;  ///< alias -> file that set it

    /// FindRegistry: the registry whose prefix matches `ref` (a name/reference that starts
    /// with a host) with the longest prefix; nullptr if none. Matching as upstream
    /// refMatchingPrefix: "*.example.com" matches sub-domains of the host part only; a plain
    /// prefix matches when followed by end, ':', '/' or '@'.
    const Registry* findRegistry(std::string_view ref) const;
    /// The alias for `shortName` ("" when none or reset).
    std::string alias(std::string_view shortName) const;
};

/// refMatchingPrefix: length of `prefix` matched in `ref`, or -1.
int refMatchingPrefix(std::string_view ref, std::string_view prefix);

/// Where the configuration comes from. Every path is injectable for tests.
/// Selection (sysregistriesv2 newConfigWrapperWithHomeDir):
///  - explicitFile set ($CONTAINERS_REGISTRIES_CONF): it is the main file and must exist;
///    drop-ins from systemDropInDir then userDropInDir.
///  - else userFile exists: it is the main file; only userDropInDir is read (the system
///    drop-in dir is NOT).
///  - else systemFile (missing = empty configuration) plus systemDropInDir, userDropInDir.
/// dropInDirOverride, when set, replaces the drop-in dirs in every case (upstream's
/// SystemRegistriesConfDirPath). Drop-ins are the "*.conf" files, in name order per dir,
/// system dir first; they must be in v2 format.
struct RegistriesConfLocation {
    std::string explicitFile;
    std::string userFile;
    std::string systemFile = "/etc/containers/registries.conf";
    std::string systemDropInDir = "/etc/containers/registries.conf.d";
    std::string userDropInDir;
    std::string dropInDirOverride;

    /// From the environment: $CONTAINERS_REGISTRIES_CONF, $XDG_CONFIG_HOME (or
    /// $HOME/.config, or the passwd home)/containers/registries.conf[.d].
    static RegistriesConfLocation fromEnvironment();
};

/// Loads and merges the configuration from the real environment (see fromEnvironment).
/// Throws ConfigError naming the file (and the line for TOML syntax errors).
RegistriesConf loadRegistriesConf();
/// Loads and merges the configuration from `loc`. Throws ConfigError (file, line when known).
RegistriesConf loadRegistriesConf(const RegistriesConfLocation& loc);

/// Parses one file's contents (no drop-ins, no defaults applied: shortNameMode may be Unset,
/// credentialHelpers empty). `forceV2` rejects the v1 format (drop-ins). `path` names the
/// file in errors. Throws ConfigError.
RegistriesConf parseRegistriesConf(std::string_view content, const std::string& path, bool forceV2 = false);

}  // namespace hutch::conf
