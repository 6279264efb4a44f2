// hutch rm [-f] [-a] CONTAINER...
#include <iostream>

#include "hutch/cli/cli.hpp"
#include "hutch/common/error.hpp"
#include "hutch/engine/container/containers.hpp"
#include "hutch/engine/launch/lifecycle.hpp"
#include "hutch/engine/volume/volumes.hpp"

namespace hutch::cli {

void registerRm(Registry& r) {
    struct Opts {
        std::vector<std::string> names;
        bool force = false, all = false, volumes = false;
        int time = -1;
    };
    auto o = std::make_shared<Opts>();
    auto* sub = r.app.add_subcommand("rm", "Remove one or more containers");
    sub->add_flag("-f,--force", o->force, "Force removal of a running or unusable container");
    sub->add_flag("-a,--all", o->all, "Remove all containers");
    sub->add_flag("-v,--volumes", o->volumes, "Remove anonymous volumes associated with the container");
    // With -t, a running container gets its stop signal and that long before the kill
    // (without it, rm -f kills at once).
    sub->add_option("-t,--time", o->time, "Seconds to wait for stop before killing the container");
    sub->add_option("CONTAINER", o->names, "Containers to remove");
    sub->callback([o, &r] {
        if (o->names.empty() && !o->all) throw CLI::ValidationError("rm", "must specify at least one container to remove");
        r.chosen.action = [o](engine::Context& ctx) {
            std::vector<std::string> names = o->names;
            if (o->all)
                for (const auto& c : engine::listContainers(ctx)) names.push_back(c.id);
            int rc = 0;
            for (const auto& n : names) {
                try {
                    auto rec = engine::loadContainer(ctx, n);
                    if (o->force && o->time >= 0) engine::stopContainer(ctx, rec.id, o->time);
                    engine::removeContainer(ctx, rec.id, o->force);
                    if (o->volumes) engine::removeAnonymousVolumes(ctx, rec.anonymousVolumes);
                    std::cout << (o->all ? rec.id : n) << std::endl;
                } catch (const NotFound& e) {
                    // podman: a missing container is exit 1 (unless --force ignores it).
                    if (o->force) continue;
                    std::cerr << "Error: " << e.what() << std::endl;
                    rc = rc ? rc : 1;
                } catch (const std::exception& e) {
                    std::cerr << "Error: " << e.what() << std::endl;
                    rc = rc ? rc : 2;  // the first failure's code, as podman
                }
            }
            return rc;
        };
    });
}

}  // namespace hutch::cli
