// hutch start [-a [-i]] [--all] CONTAINER...
#include <iostream>

#include "hutch/cli/cli.hpp"
#include "hutch/common/error.hpp"
#include "hutch/engine/container/attach.hpp"
#include "hutch/engine/container/containers.hpp"
#include "hutch/engine/launch/lifecycle.hpp"
#include "hutch/engine/launch/run.hpp"

namespace hutch::cli {

void registerStart(Registry& r) {
    struct Opts {
        std::vector<std::string> names;
        bool attach = false, interactive = false, all = false, sigProxy = true;
        std::string detachKeys = "ctrl-p,ctrl-q";
    };
    auto o = std::make_shared<Opts>();
    auto* sub = r.app.add_subcommand("start", "Start one or more containers");
    sub->add_flag("-a,--attach", o->attach, "Attach container's STDOUT and STDERR");
    sub->add_flag("-i,--interactive", o->interactive, "Attach container's STDIN");
    sub->add_flag("--all", o->all, "Start all containers regardless of their state or configuration");
    sub->add_option("--detach-keys", o->detachKeys, "Select the key sequence for detaching a container");
    sub->add_flag("--sig-proxy", o->sigProxy, "Proxy received signals to the process (default true if attaching)");
    sub->add_option("CONTAINER", o->names, "Containers to start");
    sub->callback([o, &r] {
        if (o->all && !o->names.empty())
            throw CLI::ValidationError("either start all containers or the container(s) provided in the arguments");
        if (!o->all && o->names.empty()) throw CLI::ValidationError("start", "requires at least 1 arg(s), only received 0");
        if (o->attach && (o->all || o->names.size() > 1))
            throw CLI::ValidationError("you cannot start and attach multiple containers at once");
        r.chosen.action = [o](engine::Context& ctx) {
            if (o->attach) {
                engine::ContainerRecord rec = engine::loadContainer(ctx, o->names[0]);
                if (engine::effectiveStatus(rec) == engine::ContainerStatus::Running) {
                    engine::AttachOptions a;
                    a.noStdin = !o->interactive;
                    a.detachKeys = o->detachKeys;
                    return engine::attachContainer(ctx, rec.id, a);
                }
                return engine::startAttached(ctx, rec, o->interactive);
            }
            std::vector<std::string> names = o->names;
            if (o->all)
                for (const auto& c : engine::listContainers(ctx))
                    if (engine::effectiveStatus(c) != engine::ContainerStatus::Running) names.push_back(c.name);
            int rc = 0;
            for (const auto& n : names) {
                try {
                    // podman prints nothing for a container that was already running.
                    if (engine::startContainer(ctx, n)) std::cout << n << std::endl;
                } catch (const std::exception& e) {
                    // podman goes on with the others and reports each failure.
                    std::cerr << "Error: " << e.what() << std::endl;
                    if (const auto* ce = dynamic_cast<const CommandError*>(&e)) rc = ce->exitCode();
                    else rc = 125;
                }
            }
            return rc;
        };
    });
}

}  // namespace hutch::cli
