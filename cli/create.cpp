// hutch create [flags] IMAGE [COMMAND [ARG...]]: every `run` flag; the container is made
// (image pulled, storage, record "created") and its id printed, nothing started.
#include <iostream>

#include "hutch/cli/container_flags.hpp"

namespace hutch::cli {

void registerCreate(Registry& r) {
    auto* sub = r.app.add_subcommand("create", "Create but do not start a container");
    auto o = addContainerFlags(sub);
    sub->callback([o, sub, &r] {
        checkImageArgument(sub);
        r.chosen.action = [o, sub](engine::Context& ctx) {
            engine::RunRequest req = containerRequest(sub, *o);
            std::cout << engine::createContainer(ctx, req).id << std::endl;
            return 0;
        };
    });
}

}  // namespace hutch::cli
