// hutch exec [-d] [-i] [-t] [-u USER] [-e K=V] [--env-file F] [-w DIR] [--privileged] CONTAINER CMD...
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "hutch/cli/cli.hpp"
#include "hutch/common/error.hpp"
#include "hutch/common/fsutil.hpp"
#include "hutch/engine/container/containers.hpp"
#include "hutch/engine/container/exec.hpp"

namespace hutch::cli {
namespace {

/// exec -d: checks the container runs, then leaves the session to a child of its own (new
/// session, no standard streams of ours) and prints an exec session id, as podman does.
int execDetached(engine::Context& ctx, engine::ExecRequest req) {
    auto rec = engine::loadContainer(ctx, req.container);
    if (engine::effectiveStatus(rec) != engine::ContainerStatus::Running)
        throw Error("can only create exec sessions on running containers: container state improper");
    req.interactive = false;
    req.tty = false;
    std::fflush(nullptr);
    pid_t pid = ::fork();
    if (pid < 0) throw SysError(errno, "fork");
    if (pid == 0) {
        ::setsid();
        int nul = ::open("/dev/null", O_RDWR);
        ::dup2(nul, 0);
        ::dup2(nul, 1);
        ::dup2(nul, 2);
        int code = 125;
        try {
            code = engine::execInContainer(ctx, req);
        } catch (...) {
        }
        ::_exit(code);
    }
    std::cout << str::randomHex(32) << std::endl;
    return 0;
}

}  // namespace

void registerExec(Registry& r) {
    struct Opts {
        engine::ExecRequest req;
        std::vector<std::string> env, envFiles;
        bool detach = false;
    };
    auto o = std::make_shared<Opts>();
    auto* sub = r.app.add_subcommand("exec", "Run a process in a running container");
    sub->prefix_command();
    sub->fallthrough(false);  // arguments after the container belong to the command
    sub->add_flag("-i,--interactive", o->req.interactive, "Keep STDIN open even if not attached");
    sub->add_flag("-t,--tty", o->req.tty, "Allocate a pseudo-TTY");
    sub->add_option("-u,--user", o->req.user, "Sets the username or UID used and optionally the groupname or GID");
    sub->add_option("-w,--workdir", o->req.workdir, "Working directory inside the container");
    sub->add_option("-e,--env", o->env, "Set environment variables")->allow_extra_args(false);
    sub->add_option("--env-file", o->envFiles, "Read in a file of environment variables")->allow_extra_args(false);
    sub->add_flag("--privileged", o->req.privileged, "Give the process extended Linux capabilities");
    sub->add_flag("-d,--detach", o->detach, "Run the exec session in detached mode (backgrounded)");
    sub->callback([o, sub, &r] {
        auto rest = sub->remaining();
        if (rest.empty()) throw CLI::ValidationError("exec", "requires at least 1 arg(s), only received 0");
        if (rest[0].size() > 1 && rest[0][0] == '-') throw CLI::ValidationError("unknown flag: " + rest[0]);
        o->req.container = rest[0];
        o->req.cmd.assign(rest.begin() + 1, rest.end());
        r.chosen.action = [o](engine::Context& ctx) {
            engine::ExecRequest req = o->req;
            for (const auto& f : o->envFiles)
                for (auto& e : readEnvFile(f)) req.env.push_back(e);
            for (const auto& e : o->env)
                if (auto v = envEntry(e)) req.env.push_back(*v);
            if (!o->detach) return engine::execInContainer(ctx, req);
            return execDetached(ctx, req);
        };
    });
}

}  // namespace hutch::cli
