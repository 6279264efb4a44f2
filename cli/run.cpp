// hutch run [flags] IMAGE [COMMAND [ARG...]]
#include <iostream>

#include "hutch/cli/container_flags.hpp"

namespace hutch::cli {

void registerRun(Registry& r) {
    auto* sub = r.app.add_subcommand("run", "Run a command in a new container");
    auto o = addContainerFlags(sub);
    sub->add_flag("-d,--detach", o->req.detach, "Run container in background and print container ID");
    sub->callback([o, sub, &r] {
        checkImageArgument(sub);
        r.chosen.action = [o, sub](engine::Context& ctx) {
            engine::RunRequest req = containerRequest(sub, *o);
            auto res = engine::runContainer(ctx, req);
            if (req.detach) std::cout << res.id << std::endl;
            return res.exitCode;
        };
    });
}

}  // namespace hutch::cli
