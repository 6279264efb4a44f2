// hutch exec [-i] [-t] [-u USER] [-e K=V] [--env-file F] [-w DIR] [--privileged] CONTAINER CMD...
#include "hutch/cli/cli.hpp"
#include "hutch/common/error.hpp"
#include "hutch/common/fsutil.hpp"
#include "hutch/engine/exec.hpp"

namespace hutch::cli {

void registerExec(Registry& r) {
    struct Opts {
        engine::ExecRequest req;
        std::vector<std::string> env, envFiles;
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
    sub->callback([o, sub, &r] {
        auto rest = sub->remaining();
        if (rest.empty()) throw CLI::ValidationError("exec", "requires at least 1 arg(s), only received 0");
        o->req.container = rest[0];
        o->req.cmd.assign(rest.begin() + 1, rest.end());
        r.chosen.action = [o](engine::Context& ctx) {
            engine::ExecRequest req = o->req;
            for (const auto& f : o->envFiles)
                for (auto& e : readEnvFile(f)) req.env.push_back(e);
            for (const auto& e : o->env)
                if (auto v = envEntry(e)) req.env.push_back(*v);
            return engine::execInContainer(ctx, req);
        };
    });
}

}  // namespace hutch::cli
