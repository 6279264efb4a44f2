// hutch mount [-a] [--notruncate] [--format json] [CONTAINER...], hutch unmount|umount [-a] [-f]
// CONTAINER... (podman mount/unmount): a container's rootfs mounted for the user. Rootless,
// `mount` runs only inside `hutch unshare` (the session's mount namespace, where the mount is
// seen), as podman's.
#include <unistd.h>

#include <iostream>

#include "hutch/cli/cli.hpp"
#include "hutch/common/error.hpp"
#include "hutch/engine/container/containers.hpp"
#include "hutch/engine/container/mount.hpp"

namespace hutch::cli {

namespace {

/// "hutch mount", "hutch container mount": the command as the user typed it.
std::string commandPath(const CLI::App* sub) {
    std::string path;
    for (const CLI::App* a = sub; a; a = a->get_parent()) path = a->get_name() + (path.empty() ? "" : " " + path);
    return path;
}

}  // namespace

void registerMount(Registry& r) {
    struct Opts {
        std::vector<std::string> names;
        bool all = false, noTrunc = false;
        std::string format;
    };
    auto o = std::make_shared<Opts>();
    auto* sub = r.app.add_subcommand("mount", "Mount a working container's root filesystem");
    sub->add_flag("-a,--all", o->all, "Mount all containers");
    sub->add_flag("--notruncate", o->noTrunc, "Do not truncate output");
    sub->add_option("--format", o->format, "Print the mounted containers in specified format (json)");
    sub->add_option("CONTAINER", o->names, "Containers");
    sub->callback([o, &r, sub] {
        r.chosen.readOnly = true;
        // Before the session is joined: the caller's own uid (0 inside `hutch unshare`).
        if (::getuid() != 0) {
            std::string msg = "cannot run command \"" + commandPath(sub) + "\" in rootless mode, must execute `hutch unshare` first";
            r.chosen.needsStore = false;
            r.chosen.action = [msg](engine::Context&) -> int { throw Error(msg); };
            return;
        }
        r.chosen.action = [o](engine::Context& ctx) {
            if (!o->names.empty() || o->all) {
                std::vector<std::string> ids;
                if (o->all)
                    for (const auto& c : engine::listContainers(ctx)) ids.push_back(c.id);
                // Every container must exist before any is mounted.
                for (const auto& n : o->names) ids.push_back(engine::loadContainer(ctx, n).id);
                for (const auto& id : ids) std::cout << engine::mountContainerRootfs(ctx, id) << "\n";
                return 0;
            }
            auto list = engine::mountedContainers(ctx);
            if (o->format == "json" || o->format == "{{json .}}") {
                nlohmann::ordered_json j = nlohmann::ordered_json::array();
                for (const auto& m : list)
                    j.push_back({{"id", m.id}, {"Names", nlohmann::ordered_json::array({m.name})}, {"mountpoint", m.path}});
                std::cout << j.dump(1) << "\n";
                return 0;
            }
            if (!o->format.empty()) throw InvalidArgument("unknown --format argument: \"" + o->format + "\"");
            std::vector<std::vector<std::string>> rows;
            for (const auto& m : list) rows.push_back({o->noTrunc ? m.id : m.id.substr(0, 12), m.path});
            printTable(rows, 12);
            return 0;
        };
    });
}

void registerUnmount(Registry& r) {
    struct Opts {
        std::vector<std::string> names;
        bool all = false, force = false;
    };
    for (const char* verb : {"unmount", "umount"}) {
        auto o = std::make_shared<Opts>();
        auto* sub = r.app.add_subcommand(verb, "Unmount working container's root filesystem");
        sub->add_flag("-a,--all", o->all, "Unmount all of the currently mounted containers");
        sub->add_flag("-f,--force", o->force, "Force the complete unmount of the specified mounted containers");
        sub->add_option("CONTAINER", o->names, "Containers");
        sub->callback([o, &r] {
            if (o->names.empty() && !o->all) throw CLI::ValidationError("you must provide at least one name or id");
            r.chosen.action = [o](engine::Context& ctx) {
                // Every container must exist before any is unmounted.
                for (const auto& n : o->names) engine::loadContainer(ctx, n);
                if (o->all)
                    for (const auto& m : engine::mountedContainers(ctx))
                        if (engine::unmountContainerRootfs(ctx, m.id)) std::cout << m.id << "\n";
                // A running container keeps its rootfs; podman names it all the same.
                for (const auto& n : o->names) {
                    engine::unmountContainerRootfs(ctx, n);
                    std::cout << n << "\n";
                }
                return 0;
            };
        });
    }
}

}  // namespace hutch::cli
