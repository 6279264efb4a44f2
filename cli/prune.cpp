// hutch container prune [-f], hutch image prune [-a] [-f] (podman 4.3's prompts and output).
// `container` and `image` are parent commands here; their other podman verbs are the
// top-level ones (rm, rmi, ...).
#include <iostream>

#include "hutch/cli/cli.hpp"
#include "hutch/engine/prune.hpp"

namespace hutch::cli {

bool confirm(const std::string& warning) {
    std::cout << warning << "Are you sure you want to continue? [y/N] " << std::flush;
    std::string answer;
    if (!std::getline(std::cin, answer)) return false;
    return !answer.empty() && (answer[0] == 'y' || answer[0] == 'Y');
}

int printPruneErrors(const std::vector<std::string>& errors) {
    for (const auto& e : errors) std::cerr << "Error: " << e << "\n";
    std::cerr << std::flush;
    return errors.empty() ? 0 : 125;
}

namespace {

void registerContainerPrune(CLI::App* parent, Registry& r) {
    auto force = std::make_shared<bool>(false);
    auto* sub = parent->add_subcommand("prune", "Remove all non running containers");
    sub->add_flag("-f,--force", *force, "Do not prompt for confirmation.  The default is false");
    sub->callback([force, &r] {
        r.chosen.action = [force](engine::Context& ctx) {
            if (!*force && !confirm("WARNING! This will remove all non running containers.\n")) return 0;
            auto rep = engine::pruneContainers(ctx);
            for (const auto& id : rep.removed) std::cout << id << "\n";
            std::cout << std::flush;
            return printPruneErrors(rep.errors);
        };
    });
}

void registerImagePrune(CLI::App* parent, Registry& r) {
    struct Opts {
        bool force = false, all = false;
    };
    auto o = std::make_shared<Opts>();
    auto* sub = parent->add_subcommand("prune", "Remove unused images");
    sub->add_flag("-a,--all", o->all, "Remove all images not in use by containers, not just dangling ones");
    sub->add_flag("-f,--force", o->force, "Do not prompt for confirmation");
    sub->callback([o, &r] {
        r.chosen.action = [o](engine::Context& ctx) {
            if (!o->force && !confirm(o->all ? "WARNING! This command removes all images without at least one "
                                               "container associated with them.\n"
                                             : "WARNING! This command removes all dangling images.\n"))
                return 0;
            auto rep = engine::pruneImages(ctx, o->all);
            for (const auto& id : rep.removed) std::cout << id << "\n";
            std::cout << std::flush;
            return printPruneErrors(rep.errors);
        };
    });
}

}  // namespace

void registerContainer(Registry& r) {
    auto* c = r.app.add_subcommand("container", "Manage containers");
    c->require_subcommand(1);
    registerContainerPrune(c, r);
    addInspect(c, r, "container");
    addContainerExists(c, r);
}

void registerImage(Registry& r) {
    auto* i = r.app.add_subcommand("image", "Manage images");
    i->require_subcommand(1);
    registerImagePrune(i, r);
    addInspect(i, r, "image");
    addImageExists(i, r);
}

}  // namespace hutch::cli
