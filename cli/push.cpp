// hutch push [--tls-verify] [--creds U:P] [-f oci|v2s2] [--digestfile F] [-q] IMAGE [DESTINATION]
#include <iostream>

#include "hutch/cli/cli.hpp"
#include "hutch/engine/image/progress.hpp"
#include "hutch/engine/image/push.hpp"

namespace hutch::cli {

void registerPush(Registry& r) {
    struct Opts {
        std::vector<std::string> args;
        bool quiet = false, removeSignatures = false;
        RegistryFlags reg;
        engine::PushOptions po;
    };
    auto o = std::make_shared<Opts>();
    auto* sub = r.app.add_subcommand("push", "Push an image to a specified destination");
    addRegistryFlags(sub, o->reg);
    sub->add_option("--creds", o->po.creds, "Use `[username[:password]]` for accessing the registry");
    sub->add_option("-f,--format", o->po.format, "Manifest type (oci, v2s2, or v2s1) to use in the destination");
    sub->add_option("--digestfile", o->po.digestFile, "Write the digest of the pushed image to the specified file");
    sub->add_flag("-q,--quiet", o->quiet, "Suppress output information when pushing images");
    sub->add_flag("--remove-signatures", o->removeSignatures, "Discard any pre-existing signatures in the image");
    sub->add_option("IMAGE DESTINATION", o->args, "The image and where to push it");
    sub->callback([o, &r] {
        if (o->args.empty() || o->args.size() > 2)
            throw CLI::ValidationError("accepts between 1 and 2 arg(s), received " + std::to_string(o->args.size()));
        o->po.tlsVerify = o->reg.tls();
        o->po.authFile = o->reg.authFile;
        r.chosen.action = [o](engine::Context& ctx) {
            auto progress = engine::Progress::forStderr(o->quiet);
            engine::pushImage(ctx, o->args[0], o->args.size() > 1 ? o->args[1] : "", o->po, *progress);
            return 0;
        };
    });
}

}  // namespace hutch::cli
