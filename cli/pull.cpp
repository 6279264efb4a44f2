// hutch pull [--platform OS/ARCH[/VARIANT]] [--tls-verify[=false]] [--authfile F] [-q] NAME...
#include <iostream>

#include "hutch/cli/cli.hpp"
#include "hutch/engine/image/progress.hpp"
#include "hutch/engine/image/pull.hpp"

namespace hutch::cli {

void registerPull(Registry& r) {
    struct Opts {
        std::vector<std::string> names;
        std::string platform, arch, os, variant;
        bool quiet = false;
        RegistryFlags reg;
    };
    auto o = std::make_shared<Opts>();
    auto* sub = r.app.add_subcommand("pull", "Pull an image from a registry");
    sub->add_option("--platform", o->platform, "Specify the platform for selecting the image (os/arch[/variant])");
    sub->add_option("--arch", o->arch, "Use ARCH instead of the architecture of the machine for choosing images");
    sub->add_option("--os", o->os, "Use OS instead of the running OS for choosing images");
    sub->add_option("--variant", o->variant, "Use VARIANT instead of the running architecture variant for choosing images");
    sub->add_flag("-q,--quiet", o->quiet, "Suppress output information when pulling images");
    addRegistryFlags(sub, o->reg);
    sub->add_option("NAME", o->names, "Image reference")->required();
    sub->callback([o, &r] {
        r.chosen.action = [o](engine::Context& ctx) {
            engine::PullOptions po;
            po.platform = o->platform;
            if (po.platform.empty() && (!o->arch.empty() || !o->os.empty()))
                po.platform = (o->os.empty() ? "linux" : o->os) + "/" + (o->arch.empty() ? "amd64" : o->arch) +
                              (o->variant.empty() ? "" : "/" + o->variant);
            po.tlsVerify = o->reg.tls();
            po.authFile = o->reg.authFile;
            auto progress = engine::Progress::forStderr(o->quiet);
            for (const auto& n : o->names) {
                auto res = engine::pullImage(ctx, n, po, *progress);
                std::cout << res.imageId << std::endl;
            }
            return 0;
        };
    });
}

}  // namespace hutch::cli
