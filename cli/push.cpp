// hutch push [--tls-verify] [--creds U:P] [-f oci|v2s2] [--digestfile F] [-q] IMAGE [DESTINATION]
#include <unistd.h>

#include <cerrno>
#include <iostream>

#include "hutch/cli/cli.hpp"
#include "hutch/common/error.hpp"
#include "hutch/engine/image/progress.hpp"
#include "hutch/engine/image/push.hpp"

namespace hutch::cli {

void registerPush(Registry& r) {
    struct Opts {
        std::vector<std::string> args;
        bool tlsVerify = true, quiet = false, removeSignatures = false;
        CLI::Option* tlsOpt = nullptr;
        engine::PushOptions po;
        std::string authfile;
    };
    auto o = std::make_shared<Opts>();
    auto* sub = r.app.add_subcommand("push", "Push an image to a specified destination");
    o->tlsOpt = sub->add_flag("--tls-verify", o->tlsVerify,
                              "Require HTTPS and verify certificates when contacting registries");
    sub->add_option("--creds", o->po.creds, "Use `[username[:password]]` for accessing the registry");
    sub->add_option("-f,--format", o->po.format, "Manifest type (oci, v2s2, or v2s1) to use in the destination");
    sub->add_option("--digestfile", o->po.digestFile, "Write the digest of the pushed image to the specified file");
    sub->add_option("--authfile", o->authfile, "Path of the authentication file");
    sub->add_flag("-q,--quiet", o->quiet, "Suppress output information when pushing images");
    sub->add_flag("--remove-signatures", o->removeSignatures, "Discard any pre-existing signatures in the image");
    sub->add_option("IMAGE DESTINATION", o->args, "The image and where to push it");
    sub->callback([o, &r] {
        if (o->args.empty() || o->args.size() > 2)
            throw CLI::ValidationError("accepts between 1 and 2 arg(s), received " + std::to_string(o->args.size()));
        if (o->tlsOpt->count() > 0) o->po.tlsVerify = o->tlsVerify;
        if (!o->authfile.empty()) ::setenv("REGISTRY_AUTH_FILE", o->authfile.c_str(), 1);
        r.chosen.action = [o](engine::Context& ctx) {
            // podman: a named auth file must exist.
            if (!o->authfile.empty() && ::access(o->authfile.c_str(), F_OK) != 0)
                throw SysError(errno, "stat " + o->authfile);
            auto progress = engine::Progress::forStderr(o->quiet);
            engine::pushImage(ctx, o->args[0], o->args.size() > 1 ? o->args[1] : "", o->po, *progress);
            return 0;
        };
    });
}

}  // namespace hutch::cli
