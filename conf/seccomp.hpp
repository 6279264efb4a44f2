// Seccomp profiles in the containers' JSON format (containers/common pkg/seccomp:
// defaultAction/defaultErrnoRet, archMap, syscalls[] with includes/excludes by capability,
// architecture and kernel version) and their conversion to the OCI runtime-spec
// linux.seccomp object (config-linux.md "Seccomp").
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace hutch::conf {

/// Converts a containers' profile (JSON text) to an OCI linux.seccomp object for a container
/// whose bounding set is `capabilities` ("CAP_X" or "X", any case) on `arch` (Go name as
/// in the profile's includes, e.g. "amd64", "arm64"; uname names such as "x86_64" and
/// "aarch64" are accepted too). Rules are kept when every includes.caps is held, the arch is
/// in includes.arches (if any), includes.minKernel <= the running kernel (if set), and
/// neither an excludes.caps is held nor the arch is in excludes.arches. "name" is accepted
/// for "names". architectures = the archMap entry of `arch` plus its subArchitectures.
/// Throws ConfigError("seccomp profile", ...) on invalid JSON or ill-typed fields.
nlohmann::json seccompToOci(const std::string& profileJson, const std::vector<std::string>& capabilities,
                            const std::string& arch);

/// The default profile shipped as conf/seccomp.json (embedded at build time).
std::string defaultSeccompProfile();

/// The Go architecture name of the running machine ("amd64", "arm64", ...).
std::string nativeArch();

}  // namespace hutch::conf
