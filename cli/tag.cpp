// hutch tag IMAGE TARGET_NAME [TARGET_NAME...] and hutch untag IMAGE [NAME...] (podman's
// verbs: unqualified names become localhost/NAME:latest).
#include "hutch/cli/cli.hpp"
#include "hutch/engine/image/tag.hpp"

namespace hutch::cli {

namespace {

// cobra's argument-count message.
[[noreturn]] void needArgs(size_t want, size_t got) {
    throw CLI::ValidationError("requires at least " + std::to_string(want) + " arg(s), only received " +
                               std::to_string(got));
}

}  // namespace

void registerTag(Registry& r) {
    auto args = std::make_shared<std::vector<std::string>>();
    auto* tag = r.app.add_subcommand("tag", "Add an additional name to a local image");
    tag->add_option("IMAGE TARGET_NAME", *args, "The image and the names to add");
    tag->callback([args, &r] {
        if (args->size() < 2) needArgs(2, args->size());
        r.chosen.action = [args](engine::Context& ctx) {
            std::vector<std::string> names(args->begin() + 1, args->end());
            engine::tagImage(ctx, args->front(), names);
            return 0;
        };
    });

    auto uargs = std::make_shared<std::vector<std::string>>();
    auto* untag = r.app.add_subcommand("untag", "Remove a name from a local image");
    untag->add_option("IMAGE NAME", *uargs, "The image and the names to remove (all when none)");
    untag->callback([uargs, &r] {
        if (uargs->empty()) needArgs(1, 0);
        r.chosen.action = [uargs](engine::Context& ctx) {
            std::vector<std::string> names(uargs->begin() + 1, uargs->end());
            engine::untagImage(ctx, uargs->front(), names);
            return 0;
        };
    });
}

}  // namespace hutch::cli
