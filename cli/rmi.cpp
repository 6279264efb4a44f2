// hutch rmi [-f] [-a] IMAGE...
#include <iostream>
#include <set>

#include "hutch/cli/cli.hpp"
#include "hutch/common/error.hpp"
#include "hutch/engine/image/images.hpp"

namespace hutch::cli {

void registerRmi(Registry& r) {
    struct Opts {
        std::vector<std::string> names;
        bool force = false, all = false;
    };
    auto o = std::make_shared<Opts>();
    auto* sub = r.app.add_subcommand("rmi", "Remove one or more images from local storage");
    sub->add_flag("-f,--force", o->force, "Force Removal of the image");
    sub->add_flag("-a,--all", o->all, "Remove all images");
    sub->add_option("IMAGE", o->names, "Images to remove");
    sub->callback([o, &r] {
        if (o->names.empty() && !o->all) throw CLI::ValidationError("rmi", "image name or ID must be specified");
        r.chosen.action = [o](engine::Context& ctx) {
            std::vector<std::string> names = o->names;
            if (o->all)
                for (const auto& i : engine::listImages(ctx)) names.push_back(i.id);
            // Every name is looked up before anything is removed (as podman): two names of
            // one image remove it once, and the second is not "image not known".
            std::set<std::string> known;
            for (const auto& n : names) {
                if (engine::findLocalImage(ctx, n)) known.insert(n);
            }
            int rc = 0;
            for (const auto& n : names) {
                try {
                    for (const auto& line : engine::removeImage(ctx, n, o->force)) std::cout << line << "\n";
                } catch (const NotFound& e) {
                    if (known.count(n)) continue;  // removed with an earlier name
                    std::cerr << "Error: " << e.what() << std::endl;
                    rc = rc ? rc : 1;
                } catch (const std::exception& e) {
                    std::cerr << "Error: " << e.what() << std::endl;
                    rc = 2;
                }
            }
            std::cout << std::flush;
            return rc;
        };
    });
}

}  // namespace hutch::cli
