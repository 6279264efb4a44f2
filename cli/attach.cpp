// hutch attach [--no-stdin] [--detach-keys KEYS] [--sig-proxy] CONTAINER
#include "hutch/cli/cli.hpp"
#include "hutch/engine/container/attach.hpp"

namespace hutch::cli {

void registerAttach(Registry& r) {
    struct Opts {
        std::string name;
        engine::AttachOptions attach;
        bool sigProxy = true;
    };
    auto o = std::make_shared<Opts>();
    auto* sub = r.app.add_subcommand("attach", "Attach to a running container");
    sub->add_flag("--no-stdin", o->attach.noStdin, "Do not attach STDIN. The default is false");
    sub->add_option("--detach-keys", o->attach.detachKeys,
                    "Select the key sequence for detaching a container. Format is a single character [a-Z] or a "
                    "comma separated sequence of `ctrl-<value>`, where `<value>` is one of: `a-z`, `@`, `^`, `[`, "
                    "`\\`, `]`, `^` or `_`");
    // Accepted for podman compatibility: signals reach attach itself, not the container.
    sub->add_flag("--sig-proxy", o->sigProxy,
                  "Proxy received signals to the container process (accepted, not implemented)");
    sub->add_option("CONTAINER", o->name, "Container to attach to")->required();
    sub->callback([o, &r] {
        r.chosen.action = [o](engine::Context& ctx) { return engine::attachContainer(ctx, o->name, o->attach); };
    });
}

}  // namespace hutch::cli
