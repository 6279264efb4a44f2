// hutch unshare [COMMAND...] (podman unshare): runs COMMAND ($SHELL, else /bin/sh) as root of
// the rootless session's user and mount namespaces, where hutch keeps its store and mounts,
// with CONTAINERS_GRAPHROOT and CONTAINERS_RUNROOT set to the store's directories. Its exit
// code is hutch's (the command replaces hutch).
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "hutch/cli/cli.hpp"
#include "hutch/common/error.hpp"

namespace hutch::cli {

void registerUnshare(Registry& r) {
    auto args = std::make_shared<std::vector<std::string>>();
    auto* sub = r.app.add_subcommand("unshare", "Run a command in a modified user namespace");
    sub->prefix_command();
    sub->fallthrough(false);  // everything after the verb belongs to the command
    sub->callback([args, &r, sub] {
        *args = sub->remaining();
        if (!args->empty() && args->front() == "--") args->erase(args->begin());
        if (!args->empty() && args->front().size() > 1 && args->front()[0] == '-')
            throw CLI::ValidationError("unknown flag: " + args->front().substr(0, args->front().find('=')));
        r.chosen.readOnly = true;
        r.chosen.action = [args](engine::Context& ctx) -> int {
            if (!ctx.rootless()) throw Error("please use unshare with rootless");
            std::vector<std::string> cmd = *args;
            if (cmd.empty()) {
                const char* shell = std::getenv("SHELL");
                cmd.push_back(shell && *shell ? shell : "/bin/sh");
            }
            ::setenv("CONTAINERS_GRAPHROOT", ctx.graphRoot().c_str(), 1);
            ::setenv("CONTAINERS_RUNROOT", ctx.runRoot().c_str(), 1);
            std::vector<char*> argv;
            for (auto& a : cmd) argv.push_back(a.data());
            argv.push_back(nullptr);
            std::fflush(nullptr);
            ::execvp(argv[0], argv.data());
            int err = errno;
            bool path = cmd[0].find('/') != std::string::npos;
            if (err == ENOENT && !path)
                throw CommandError(127, "exec: \"" + cmd[0] + "\": executable file not found in $PATH");
            std::string why = std::strerror(err);  // Go's wording: lower case ("permission denied")
            if (!why.empty()) why[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(why[0])));
            throw CommandError(err == ENOENT ? 127 : 126, "fork/exec " + cmd[0] + ": " + why);
        };
    });
}

}  // namespace hutch::cli
