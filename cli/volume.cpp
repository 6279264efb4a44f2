// hutch volume create|ls|inspect|rm|prune|exists|export|import (podman 4.3's flags and output).
#include <fcntl.h>
#include <unistd.h>

#include <ctime>
#include <iostream>

#include "hutch/cli/cli.hpp"
#include "hutch/common/error.hpp"
#include "hutch/common/fd.hpp"
#include "hutch/common/fsutil.hpp"
#include "hutch/common/jsonbytes.hpp"
#include "hutch/common/regex_search.hpp"
#include "hutch/engine/container/container_record.hpp"
#include "hutch/engine/volume/volume_archive.hpp"
#include "hutch/engine/volume/volumes.hpp"

namespace hutch::cli {
namespace {

/// KEY=VALUE (or KEY alone: empty value) into `out`; `flag` names it in errors.
void putKeyValue(std::map<std::string, std::string>& out, const std::string& kv, const std::string& flag) {
    bool has = false;
    auto [k, v] = str::cut(kv, '=', &has);
    if (k.empty()) throw InvalidArgument(flag + " \"" + kv + "\": must be KEY=VALUE");
    if (flag == "--opt" && !has) throw InvalidArgument("--opt \"" + kv + "\": must be KEY=VALUE");
    out[k] = v;
}

/// A time.Time as Go prints it: "2026-11-29 19:54:56.565164859 +0000 UTC".
std::string goTime(const std::string& rfc3339) {
    std::string s = rfc3339;
    if (s.size() > 19 && s[10] == 'T') s[10] = ' ';
    if (!s.empty() && s.back() == 'Z') s.pop_back();
    return s + " +0000 UTC";
}

nlohmann::json templateFields(const engine::Volume& v) {
    return {{"Name", v.name},           {"Driver", v.driver},       {"Mountpoint", v.mountpoint},
            {"CreatedAt", goTime(v.createdAt)}, {"Labels", v.labels}, {"Options", v.options},
            {"Scope", "local"},         {"MountCount", 0},          {"NeedsCopyUp", v.needsCopyUp},
            {"Anonymous", v.anonymous}};
}

/// `--format` output: "json", "table {{...}}" (header + aligned columns), or a template.
void printFormatted(const std::string& format, const std::vector<engine::Volume>& vols) {
    if (format == "json") {
        nlohmann::ordered_json arr = nlohmann::ordered_json::array();
        for (const auto& v : vols) arr.push_back(engine::inspectVolume(v));
        std::cout << jsonbytes::dumpReplacing(arr, 2) << std::endl;
        return;
    }
    bool table = format.rfind("table", 0) == 0;
    if (table && vols.empty()) return;  // podman prints no header without volumes
    std::vector<gotemplate::Json> rows;
    for (const auto& v : vols) rows.push_back(templateFields(v));
    printTemplate("volume", format == "table" ? "table {{.Driver}} {{.Name}}" : format, rows,
                  {{"Name", "VOLUME NAME"}, {"Mountpoint", "MOUNTPOINT"}});
}

/// podman's volume filters: name= (regular expression), label=KEY[=VALUE], driver=,
/// dangling=true|false (`used` = names of volumes some container uses).
bool matches(const engine::Volume& v, const std::vector<std::string>& filters, const std::vector<std::string>& used) {
    for (const auto& f : filters) {
        bool has = false;
        auto [k, val] = str::cut(f, '=', &has);
        if (!has) throw InvalidArgument("--filter \"" + f + "\": must be KEY=VALUE");
        if (k == "name") {
            // Not std::regex: it overflows the stack on a long pattern or name.
            auto found = regex::search(val, v.name, "--filter name=");
            bool ok = found ? *found : v.name.find(val) != std::string::npos;
            if (!ok) return false;
        } else if (k == "label") {
            bool hasValue = false;
            auto [lk, lv] = str::cut(val, '=', &hasValue);
            auto it = v.labels.find(lk);
            if (it == v.labels.end() || (hasValue && it->second != lv)) return false;
        } else if (k == "driver") {
            if (v.driver != val) return false;
        } else if (k == "dangling") {
            bool isUsed = std::find(used.begin(), used.end(), v.name) != used.end();
            if ((val == "true" || val == "1") == isUsed) return false;
        } else {
            throw InvalidArgument("--filter \"" + f + "\": invalid filter (name, label, driver, dangling)");
        }
    }
    return true;
}

std::vector<std::string> usedVolumes(engine::Context& ctx) {
    std::vector<std::string> used;
    for (const auto& v : engine::listVolumes(ctx))
        if (!engine::volumeUsers(ctx, v.name).empty()) used.push_back(v.name);
    return used;
}

void registerCreate(CLI::App* vol, Registry& r) {
    struct Opts {
        std::string name, driver = "local";
        std::vector<std::string> opts, labels;
    };
    auto o = std::make_shared<Opts>();
    auto* sub = vol->add_subcommand("create", "Create a new volume");
    sub->add_option("-d,--driver", o->driver, "Specify volume driver name");
    sub->add_option("-o,--opt", o->opts, "Set driver specific options")->allow_extra_args(false);
    sub->add_option("-l,--label", o->labels, "Set metadata for a volume (e.g. --label mykey=value)")->allow_extra_args(false);
    sub->add_option("NAME", o->name, "Volume name");
    sub->callback([o, &r] {
        r.chosen.action = [o](engine::Context& ctx) {
            engine::VolumeCreateOptions c;
            c.name = o->name;
            c.driver = o->driver;
            for (const auto& kv : o->opts) putKeyValue(c.options, kv, "--opt");
            for (const auto& kv : o->labels) putKeyValue(c.labels, kv, "--label");
            std::cout << engine::createVolume(ctx, c).name << std::endl;
            return 0;
        };
    });
}

void registerLs(CLI::App* vol, Registry& r) {
    struct Opts {
        std::string format;
        std::vector<std::string> filters;
        bool quiet = false;
    };
    auto o = std::make_shared<Opts>();
    auto* sub = vol->add_subcommand("ls", "List volumes");
    addNoHeading(sub);
    sub->alias("list");
    sub->add_option("--format", o->format, "Format volume output using Go template");
    sub->add_option("-f,--filter", o->filters, "Filter volume output")->allow_extra_args(false);
    sub->add_flag("-q,--quiet", o->quiet, "Print volume output in quiet mode");
    sub->callback([o, &r] {
        r.chosen.readOnly = true;
        r.chosen.action = [o](engine::Context& ctx) {
            std::vector<std::string> used;
            for (const auto& f : o->filters)
                if (f.rfind("dangling=", 0) == 0) used = usedVolumes(ctx);
            std::vector<engine::Volume> vols;
            for (const auto& v : engine::listVolumes(ctx))
                if (matches(v, o->filters, used)) vols.push_back(v);
            if (o->quiet) {
                for (const auto& v : vols) std::cout << v.name << "\n";
                std::cout << std::flush;
            } else if (!o->format.empty()) {
                printFormatted(o->format, vols);
            } else if (!vols.empty()) {
                std::vector<std::vector<std::string>> rows = {{"DRIVER", "VOLUME NAME"}};
                for (const auto& v : vols) rows.push_back({v.driver, v.name});
                printTable(rows, 12);
            }
            return 0;
        };
    });
}

void registerInspect(CLI::App* vol, Registry& r) {
    struct Opts {
        std::vector<std::string> names;
        std::string format;
        bool all = false;
    };
    auto o = std::make_shared<Opts>();
    auto* sub = vol->add_subcommand("inspect", "Display detailed information on one or more volumes");
    sub->add_option("--format,-f", o->format, "Format volume output using Go template");
    sub->add_flag("-a,--all", o->all, "Inspect all volumes");
    sub->add_option("VOLUME", o->names, "Volumes to inspect");
    sub->callback([o, &r] {
        if (o->names.empty() && !o->all)
            throw CLI::ValidationError("inspect", "provide one or more volume names or use --all");
        r.chosen.readOnly = true;
        r.chosen.action = [o](engine::Context& ctx) {
            std::vector<engine::Volume> vols;
            std::string missing;
            if (o->all) vols = engine::listVolumes(ctx);
            for (const auto& n : o->names) {
                if (auto v = engine::findVolume(ctx, n))
                    vols.push_back(*v);
                else if (missing.empty())
                    missing = n;
            }
            if (!o->format.empty() && o->format != "json") {
                std::vector<gotemplate::Json> rows;
                for (const auto& v : vols) rows.push_back(templateFields(v));
                printTemplate("volume", o->format, rows);
            } else {
                nlohmann::ordered_json arr = nlohmann::ordered_json::array();
                for (const auto& v : vols) arr.push_back(engine::inspectVolume(v));
                std::cout << jsonbytes::dumpReplacing(arr, 5) << std::endl;  // podman indents inspect output by 5
            }
            if (!missing.empty()) throw NotFound("inspecting object: no such volume " + missing);
            return 0;
        };
    });
}

void registerRm(CLI::App* vol, Registry& r) {
    struct Opts {
        std::vector<std::string> names;
        bool force = false, all = false;
    };
    auto o = std::make_shared<Opts>();
    auto* sub = vol->add_subcommand("rm", "Remove one or more volumes");
    sub->alias("remove");
    sub->add_flag("-f,--force", o->force, "Remove a volume by force, even if it is being used by a container");
    sub->add_flag("-a,--all", o->all, "Remove all volumes");
    sub->add_option("VOLUME", o->names, "Volumes to remove");
    sub->callback([o, &r] {
        if (o->names.empty() && !o->all) throw CLI::ValidationError("rm", "choose either one or more volumes or all");
        r.chosen.action = [o](engine::Context& ctx) {
            std::vector<std::string> names = o->names;
            if (o->all)
                for (const auto& v : engine::listVolumes(ctx)) names.push_back(v.name);
            int rc = 0;
            for (const auto& n : names) {
                try {
                    engine::removeVolume(ctx, n, o->force);
                    std::cout << n << std::endl;
                } catch (const NotFound& e) {
                    if (o->force) continue;  // podman: -f ignores missing volumes
                    std::cerr << "Error: " << e.what() << std::endl;
                    rc = rc ? rc : 1;
                } catch (const std::exception& e) {
                    std::cerr << "Error: " << e.what() << std::endl;
                    rc = 2;
                }
            }
            return rc;
        };
    });
}

void registerPrune(CLI::App* vol, Registry& r) {
    auto force = std::make_shared<bool>(false);
    auto* sub = vol->add_subcommand("prune", "Remove all unused volumes");
    sub->add_flag("-f,--force", *force, "Do not prompt for confirmation");
    sub->callback([force, &r] {
        r.chosen.action = [force](engine::Context& ctx) {
            if (!*force) {
                std::cout << "WARNING! This will remove all volumes not used by at least one container. The following "
                             "volumes will be removed:\n";
                auto used = usedVolumes(ctx);
                for (const auto& v : engine::listVolumes(ctx))
                    if (std::find(used.begin(), used.end(), v.name) == used.end()) std::cout << v.name << "\n";
                std::cout << "Are you sure you want to continue? [y/N] " << std::flush;
                std::string answer;
                std::getline(std::cin, answer);
                if (answer != "y" && answer != "Y" && answer != "yes") return 0;
            }
            for (const auto& n : engine::pruneVolumes(ctx)) std::cout << n << "\n";
            std::cout << std::flush;
            return 0;
        };
    });
}

void registerExists(CLI::App* vol, Registry& r) {
    auto name = std::make_shared<std::string>();
    auto* sub = vol->add_subcommand("exists", "Volume exists in local storage");
    sub->add_option("VOLUME", *name, "Volume name")->required();
    sub->callback([name, &r] {
        r.chosen.readOnly = true;
        r.chosen.action = [name](engine::Context& ctx) { return engine::findVolume(ctx, *name) ? 0 : 1; };
    });
}

void registerExport(CLI::App* vol, Registry& r) {
    struct Opts {
        std::string name, output;
    };
    auto o = std::make_shared<Opts>();
    auto* sub = vol->add_subcommand("export", "Export volumes");
    auto* out = sub->add_option("-o,--output", o->output, "Write to a specified file (default: stdout, which must be redirected)");
    sub->add_option("VOLUME", o->name, "Volume name")->required();
    sub->callback([o, out, &r] {
        if (out->count() > 0 && o->output.empty()) throw CLI::ValidationError("expects output path, use --output=[path]");
        // podman 4.3 writes the tar to a terminal; later podman refuses, as `export` does.
        if (o->output.empty() && ::isatty(STDOUT_FILENO))
            throw CLI::ValidationError("cannot write to terminal, use command-line redirection or the --output flag");
        r.chosen.readOnly = true;
        r.chosen.action = [o](engine::Context& ctx) {
            writeStreamTo(o->output, "unable to create target file path \"" + o->output + "\"",
                          [&](const auto& write) { engine::exportVolume(ctx, o->name, write); });
            return 0;
        };
    });
}

void registerImport(CLI::App* vol, Registry& r) {
    struct Opts {
        std::vector<std::string> args;
    };
    auto o = std::make_shared<Opts>();
    auto* sub = vol->add_subcommand("import", "Import a tarball contents into a hutch volume");
    sub->add_option("VOLUME SOURCE", o->args, "The volume and the tarball (- for standard input)");
    sub->callback([o, &r] {
        if (o->args.size() != 2)
            throw CLI::ValidationError("accepts 2 arg(s), received " + std::to_string(o->args.size()));
        r.chosen.action = [o](engine::Context& ctx) {
            const std::string& src = o->args[1];
            UniqueFd file;
            int fd = STDIN_FILENO;
            if (src != "-") {
                file.reset(::open(src.c_str(), O_RDONLY | O_CLOEXEC));
                if (!file) throw SysError(errno, "open " + src);
                fd = file.get();
            }
            engine::importVolume(ctx, o->args[0], [&](void* buf, size_t n) -> size_t {
                for (;;) {
                    ssize_t k = ::read(fd, buf, n);
                    if (k < 0 && errno == EINTR) continue;
                    if (k < 0) throw SysError(errno, "reading " + (src == "-" ? std::string("standard input") : src));
                    return static_cast<size_t>(k);
                }
            });
            return 0;
        };
    });
}

}  // namespace

void registerVolume(Registry& r) {
    auto* vol = r.app.add_subcommand("volume", "Manage volumes");
    vol->require_subcommand(1);
    registerCreate(vol, r);
    registerLs(vol, r);
    registerInspect(vol, r);
    registerRm(vol, r);
    registerPrune(vol, r);
    registerExists(vol, r);
    registerExport(vol, r);
    registerImport(vol, r);
}

}  // namespace hutch::cli
