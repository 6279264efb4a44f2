// Shared pieces of the hutch CLI: the command registry, output helpers, exit codes.
// One file per verb registers its subcommand (podman's flags and output).
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <map>
#include <optional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "hutch/common/gotemplate.hpp"
#include "hutch/engine/core/context.hpp"
#include "hutch/engine/image/changes.hpp"

namespace hutch::cli {

/// A parsed verb ready to execute: whether it needs the store (the process then enters
/// the rootless session before anything else), whether it only reads (then it skips the
/// recovery of containers whose monitor died, engine::recoverContainers), and the action
/// returning the exit code.
struct Command {
    bool needsStore = true;
    bool readOnly = false;
    std::function<int(engine::Context&)> action;
};

/// Registered by each verb file; `out` receives the command chosen by parsing.
struct Registry {
    CLI::App& app;
    engine::GlobalOptions& globals;
    Command& chosen;
};

void registerPull(Registry& r);
void registerBuild(Registry& r);
void registerImages(Registry& r);
void registerRun(Registry& r);
void registerCreate(Registry& r);
void registerPs(Registry& r);
void registerRm(Registry& r);
void registerRmi(Registry& r);
void registerInspect(Registry& r);
/// `inspect` under `parent` (image, container) with --type fixed to `fixedType` ("" = the
/// top-level verb with -t/--type).
void addInspect(CLI::App* parent, Registry& r, const std::string& fixedType);
void registerInfo(Registry& r);
void registerVersion(Registry& r);
void registerStart(Registry& r);
void registerStop(Registry& r);
void registerKill(Registry& r);
void registerWait(Registry& r);
void registerLogs(Registry& r);
void registerExec(Registry& r);
void registerRestart(Registry& r);
void registerTop(Registry& r);
void registerAttach(Registry& r);
void registerPort(Registry& r);
void registerVolume(Registry& r);
void registerContainer(Registry& r);  ///< container prune|inspect|exists (other verbs: aliases in main.cpp)
void registerImage(Registry& r);      ///< image prune|inspect|exists (other verbs: aliases in main.cpp)
/// `container exists` / `image exists` under `parent`.
void addContainerExists(CLI::App* parent, Registry& r);
void addImageExists(CLI::App* parent, Registry& r);
void registerSystem(Registry& r);     ///< system prune|df|reset
void registerCommit(Registry& r);
void registerTag(Registry& r);        ///< tag, untag
void registerHistory(Registry& r);
void registerPush(Registry& r);
void registerSave(Registry& r);
void registerLoad(Registry& r);
void registerImport(Registry& r);
void registerExport(Registry& r);
void registerLogin(Registry& r);
void registerLogout(Registry& r);

/// podman's --tls-verify[=true|false] and --authfile FILE of the verbs that reach registries
/// (pull, push, build; login's own --tls-verify too). tls() is nullopt when --tls-verify was
/// not given (registries.conf decides), else its value.
struct RegistryFlags {
    bool tlsVerify = true;
    CLI::Option* tlsOpt = nullptr;
    std::string authFile;
    std::optional<bool> tls() const {
        return tlsOpt && tlsOpt->count() > 0 ? std::optional<bool>(tlsVerify) : std::nullopt;
    }
};
/// Adds --tls-verify (a flag: "--tls-verify", "--tls-verify=false", "--tls-verify=true") and,
/// with `authFile`, --authfile to `sub`, bound to `f` (which must outlive parsing).
void addRegistryFlags(CLI::App* sub, RegistryFlags& f, bool authFile = true);
void registerSearch(Registry& r);  ///< search (registry catalogs and tag lists)
void registerCp(Registry& r);          ///< cp (copy_paths.hpp, engine/copy.hpp)
void registerRename(Registry& r);
void registerDiff(Registry& r);
/// `diff` under `parent` (the top level, container, image): `target` is what the name is
/// looked up as (engine/image/changes.hpp).
void addDiff(CLI::App* parent, Registry& r, engine::DiffTarget target);
void registerMount(Registry& r);    ///< mount
void registerUnmount(Registry& r);  ///< unmount, umount
void registerUnshare(Registry& r);
void registerHealthcheck(Registry& r);  ///< healthcheck run

/// Prints `warning` and podman's "Are you sure you want to continue? [y/N] ", reads one
/// line of stdin: true when it starts with y/Y (EOF = no).
bool confirm(const std::string& warning);
/// Prints each error as "Error: ..." on stderr; returns 125 if there were any, else 0.
int printPruneErrors(const std::vector<std::string>& errors);

/// "-e KEY" takes KEY from hutch's own environment (nullopt when unset), as podman does;
/// "KEY=VALUE" is kept as is.
std::optional<std::string> envEntry(const std::string& e);
/// Reads an --env-file: KEY=VALUE lines, blank lines and # comments skipped, KEY alone as
/// -e KEY. Throws InvalidArgument naming the file (and line).
std::vector<std::string> readEnvFile(const std::string& path);

/// Prints rows as podman's tabwriter does (columns padded to the widest cell + 2 spaces,
/// and at least `minWidth` wide: podman's report writer uses 12). The first row is the
/// header: left out after -n/--noheading (addNoHeading).
void printTable(std::vector<std::vector<std::string>> rows, size_t minWidth = 0);
/// Adds podman's -n/--noheading to a listing verb: printTable and a "table" printTemplate
/// then leave out the header row. `shortN`: also as -n (not in ps, where -n is --last).
void addNoHeading(CLI::App* sub, bool shortN = true);
/// Prints `--format TEMPLATE` output (not "json", which callers handle) as podman does: the Go
/// template (common/gotemplate) executed against each of `rows`, a newline added unless the
/// template ends with one, \t and \n escapes honoured. A "table " prefix makes spaces column
/// breaks and adds a header row: the template executed against the row's field names mapped to
/// `headers` (podman's column titles) or else upper-cased and split at case changes
/// ("ExitCode" -> "EXIT CODE"); columns are aligned as printTable(rows, 12). `name` is the
/// template's name in errors ("template: ps:1: ..."). Throws InvalidArgument (exit 125) on a
/// parse or execution error, before printing anything.
void printTemplate(const std::string& name, const std::string& format, const std::vector<gotemplate::Json>& rows,
                   const std::map<std::string, std::string>& headers = {});
/// Decimal human size as podman prints it ("2.13 MB", "950 B").
std::string humanSize(uint64_t bytes);
/// Runs `produce` with a sink writing to `output` (created, mode 0644, only at the first byte:
/// a failure before it leaves no file; removed again when `produce` throws), or to stdout when
/// `output` is empty. `createError` is the message of a failed create. Throws SysError,
/// and what `produce` throws.
void writeStreamTo(const std::string& output, const std::string& createError,
                   const std::function<void(const std::function<void(const void*, size_t)>&)>& produce);
/// Pretty JSON with 4-space indent, as podman prints inspect output.
void printJson(const nlohmann::json& j);

}  // namespace hutch::cli
