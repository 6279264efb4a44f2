// hutch: a daemonless, podman-compatible container engine. Entry point and error mapping.
//
// Exit codes follow podman: 0 ok; 125 an engine error (bad flag, unknown image, registry
// failure, ...); 126 the container command cannot be invoked; 127 it is not found;
// otherwise the container's own exit code. rm/rmi of a missing object exit 1 as podman's.
#include <unistd.h>

#include <cstring>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "hutch/cli/cli.hpp"
#include "hutch/common/error.hpp"
#include "hutch/common/log.hpp"
#include "hutch/engine/launch/container_ops.hpp"
#include "hutch/engine/launch/monitor.hpp"
#include "hutch/engine/launch/run.hpp"

using namespace hutch;

namespace hutch::cli {
void registerEvents(Registry& r);  // cli/events.cpp
}

namespace {

int printError(const std::string& msg, int code) {
    std::cerr << "Error: " << msg << std::endl;
    return code;
}

/// argv with each "--flag=" (an empty value, as scripts write it: --userns= --hostname=) of
/// an option that takes a value given as "--flag" "": CLI11 would take the next argument as
/// the value, where podman reads an empty one. A shorthand with "=" (pflag's "-t=false",
/// "-e=K=V") becomes "--tty=false" for a flag, "-e" "K=V" for an option with a value. Walks
/// the verbs (subcommands) and skips option values; stops at the first other positional (an
/// image: the container's command after it is passed on as it is) or at "--".
std::vector<std::string> emptyValuesSplit(CLI::App& app, int argc, char** argv) {
    std::vector<std::string> out(argv, argv + argc);
    std::vector<std::string> res{out[0]};
    CLI::App* cur = &app;
    size_t i = 1;
    for (; i < out.size(); ++i) {
        const std::string& t = out[i];
        if (t == "--") break;
        if (t.size() > 2 && t[0] == '-' && t[1] != '-' && t[2] == '=') {
            // pflag's "-t=false" / "-e=K=V": the shorthand with its value after "=".
            const CLI::Option* o = cur->get_option_no_throw(t.substr(0, 2));
            if (o && !(o->get_type_size_max() > 0 && o->get_expected_min() > 0) && !o->get_lnames().empty()) {
                res.push_back("--" + o->get_lnames().front() + t.substr(2));  // a flag: --tty=false
                continue;
            }
            if (o) {
                res.push_back(t.substr(0, 2));
                res.push_back(t.substr(3));
                continue;
            }
        }
        if (t.size() > 1 && t[0] == '-') {
            size_t eq = t.find('=');
            const CLI::Option* o = cur->get_option_no_throw(t.substr(0, eq));
            bool takesValue = o && o->get_type_size_max() > 0 && o->get_expected_min() > 0;  // not a flag
            if (takesValue && eq != std::string::npos && eq + 1 == t.size()) {
                res.push_back(t.substr(0, eq));
                res.push_back("");
                continue;
            }
            res.push_back(t);
            if (takesValue && eq == std::string::npos && i + 1 < out.size()) res.push_back(out[++i]);
            continue;
        }
        auto subs = cur->get_subcommands([&](CLI::App* a) { return a->check_name(t); });
        if (subs.empty()) break;
        cur = subs.front();
        res.push_back(t);
    }
    res.insert(res.end(), out.begin() + static_cast<long>(i), out.end());
    return res;
}

/// The top-level verb `group sub` stands for ("container ls" -> "ps", "image rm" -> "rmi",
/// "container run" -> "run"), or nullptr when `sub` is the group's own (inspect, prune,
/// exists) or unknown.
const char* aliasOf(const std::string& group, const std::string& sub) {
    static const std::map<std::string, const char*> kContainer = {
        {"ls", "ps"},           {"list", "ps"},         {"ps", "ps"},         {"attach", "attach"},
        {"commit", "commit"},   {"cp", "cp"},           {"create", "create"}, {"diff", "diff"},
        {"exec", "exec"},       {"export", "export"},   {"kill", "kill"},     {"logs", "logs"},
        {"mount", "mount"},     {"port", "port"},       {"rename", "rename"}, {"restart", "restart"},
        {"rm", "rm"},           {"run", "run"},         {"start", "start"},   {"stop", "stop"},
        {"top", "top"},         {"unmount", "unmount"}, {"umount", "unmount"}, {"wait", "wait"},
    };
    static const std::map<std::string, const char*> kImage = {
        {"ls", "images"},       {"list", "images"},   {"rm", "rmi"},       {"build", "build"},
        {"diff", "diff"},       {"history", "history"}, {"import", "import"}, {"load", "load"},
        {"pull", "pull"},       {"push", "push"},     {"save", "save"},    {"search", "search"},
        {"tag", "tag"},         {"untag", "untag"},
    };
    const auto& table = group == "container" ? kContainer : kImage;
    auto it = table.find(sub);
    return it == table.end() ? nullptr : it->second;
}

}  // namespace

int main(int argc, char** argv) {
    // The embedded OCI runtime: a fresh single-threaded re-exec of this binary.
    if (argc > 1 && std::strcmp(argv[1], "__runtime") == 0) {
        int rc = engine::runtimeEntry(argc - 1, argv + 1);
        // _exit, not return: after `exec` joined the container's pid namespace, exit-time
        // hooks (LeakSanitizer's ptrace-based check in the ASan build) cannot see us from
        // there and would spin; the runtime has nothing left to flush but stdio.
        std::fflush(nullptr);
        _exit(rc);
    }
    // The monitor of a detached container (see engine/monitor.hpp).
    if (argc > 1 && std::strcmp(argv[1], "__monitor") == 0) return engine::monitorEntry(argc - 1, argv + 1);

    CLI::App app{"hutch: manage containers, images and volumes, rootless and daemonless", "hutch"};
    app.require_subcommand(1);
    app.fallthrough();
    app.set_help_all_flag("--help-all", "Show help for every command");
    engine::GlobalOptions globals;
    std::string logLevel = "warn";
    app.add_option("--root", globals.root, "Path to the graph root directory where images and containers are stored");
    app.add_option("--runroot", globals.runroot, "Path to the 'run directory' where all state information is stored");
    app.add_option("--storage-driver", globals.storageDriver, "Select which storage driver is used to manage storage");
    app.add_option("--log-level", logLevel, "Log messages above specified level (trace, debug, info, warn, error, fatal, panic)");

    cli::Command chosen;
    cli::Registry reg{app, globals, chosen};
    // Only the verb named on the command line is registered (its options, its code): building
    // every verb's parser was most of the CLI's start-up work and text pages. Anything else
    // (no verb, an unknown one, an unknown global flag, --help-all) registers them all, so
    // help and errors read as before.
    static constexpr struct {
        const char* name;
        void (*add)(cli::Registry&);
    } kVerbs[] = {
        {"pull", cli::registerPull},
        {"build", cli::registerBuild},
        {"images", cli::registerImages},
        {"run", cli::registerRun},
        {"create", cli::registerCreate},
        {"ps", cli::registerPs},
        {"rm", cli::registerRm},
        {"rmi", cli::registerRmi},
        {"inspect", cli::registerInspect},
        {"info", cli::registerInfo},
        {"version", cli::registerVersion},
        {"start", cli::registerStart},
        {"stop", cli::registerStop},
        {"kill", cli::registerKill},
        {"wait", cli::registerWait},
        {"logs", cli::registerLogs},
        {"exec", cli::registerExec},
        {"restart", cli::registerRestart},
        {"top", cli::registerTop},
        {"attach", cli::registerAttach},
        {"port", cli::registerPort},
        {"volume", cli::registerVolume},
        {"container", cli::registerContainer},
        {"image", cli::registerImage},
        {"system", cli::registerSystem},
        {"commit", cli::registerCommit},
        {"tag", cli::registerTag},
        {"untag", cli::registerTag},
        {"history", cli::registerHistory},
        {"push", cli::registerPush},
        {"save", cli::registerSave},
        {"load", cli::registerLoad},
        {"import", cli::registerImport},
        {"export", cli::registerExport},
        {"login", cli::registerLogin},
        {"logout", cli::registerLogout},
        {"search", cli::registerSearch},
        {"cp", cli::registerCp},
        {"rename", cli::registerRename},
        {"diff", cli::registerDiff},
        {"mount", cli::registerMount},
        {"unmount", cli::registerUnmount},
        {"umount", cli::registerUnmount},
        {"unshare", cli::registerUnshare},
        {"events", cli::registerEvents},
        {"healthcheck", cli::registerHealthcheck},
    };
    // `container VERB` and `image VERB` are the top-level verbs under another name (podman's
    // management commands): the group's word is dropped and the verb renamed where it differs
    // ("container ls" is ps, "image rm" is rmi). The groups' own children (inspect, prune,
    // exists) stay as they are.
    std::vector<char*> args(argv, argv + argc);
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--root" || a == "--runroot" || a == "--storage-driver" || a == "--log-level") {
            ++i;
            continue;
        }
        if (a[0] == '-') continue;
        if (i + 1 < argc && (a == "container" || a == "image")) {
            const char* alias = aliasOf(a, argv[i + 1]);
            if (alias) {
                args.erase(args.begin() + i);
                args[i] = const_cast<char*>(alias);
                argc = static_cast<int>(args.size());
                argv = args.data();
            }
        }
        break;
    }
    const char* verb = nullptr;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--root" || a == "--runroot" || a == "--storage-driver" || a == "--log-level") {
            ++i;
            continue;
        }
        if (a.rfind("--root=", 0) == 0 || a.rfind("--runroot=", 0) == 0 || a.rfind("--storage-driver=", 0) == 0 ||
            a.rfind("--log-level=", 0) == 0)
            continue;
        if (a[0] != '-') verb = argv[i];
        break;
    }
    bool one = false;
    for (const auto& v : kVerbs)
        if (verb && std::strcmp(verb, v.name) == 0) {
            v.add(reg);
            one = true;
        }
    if (!one)
        for (const auto& v : kVerbs)
            if ((v.add != cli::registerTag || std::strcmp(v.name, "tag") == 0) &&
                (v.add != cli::registerUnmount || std::strcmp(v.name, "unmount") == 0))
                v.add(reg);  // registerTag adds tag and untag, registerUnmount unmount and umount

    try {
        std::vector<std::string> args = emptyValuesSplit(app, argc, argv);
        std::vector<char*> ptrs;
        for (auto& a : args) ptrs.push_back(a.data());
        app.parse(static_cast<int>(ptrs.size()), ptrs.data());
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        // podman's wording for a verb it does not know.
        if (argc > 1 && argv[1][0] != '-' && app.get_subcommands().empty())
            return printError(std::string("unrecognized command `hutch ") + argv[1] + "`", 125);
        // podman's (pflag's) wording for an unknown flag of a verb.
        if (dynamic_cast<const CLI::ExtrasError*>(&e)) {
            std::string what = e.what();
            std::string first = what.substr(what.find(": ") == std::string::npos ? 0 : what.find(": ") + 2);
            first = first.substr(0, first.find(' '));
            if (first.rfind("--", 0) == 0 && first.size() > 2)
                return printError("unknown flag: " + first.substr(0, first.find('=')), 125);
            if (first.size() > 1 && first[0] == '-')
                return printError("unknown shorthand flag: '" + first.substr(1, 1) + "' in " + first, 125);
        }
        return printError(e.what(), 125);
    }

    try {
        log::setLevel(log::parseLevel(logLevel));
        if (!chosen.action) return printError("no command given", 125);
        engine::prepareProcess(chosen.needsStore);
        engine::Context ctx(globals);
        if (chosen.needsStore && !chosen.readOnly) engine::recoverContainers(ctx);
        return chosen.action(ctx);
    } catch (const CommandError& e) {
        return printError(e.what(), e.exitCode());
    } catch (const std::exception& e) {
        return printError(e.what(), 125);
    }
}
