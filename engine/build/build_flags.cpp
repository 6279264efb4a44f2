// podman build's flag rules (applyFlagRules) and --logfile (OutputToFile).
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <iostream>

#include "hutch/common/error.hpp"
#include "hutch/common/fd.hpp"
#include "hutch/common/log.hpp"
#include "hutch/engine/build/build.hpp"
#include "hutch/engine/spec/ulimit.hpp"

namespace hutch::engine::build {

void applyFlagRules(BuildOptions& o, const BuildFlagsGiven& given) {
    if (int(given.pull) + int(given.pullAlways) + int(given.pullNever) > 1)
        throw InvalidArgument("can only set one of 'pull' or 'pull-always' or 'pull-never'");
    std::string v = given.pull ? given.pullValue : "";
    v.erase(0, v.find_first_not_of(" \t"));
    v.erase(v.find_last_not_of(" \t") + 1);
    std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) { return std::tolower(c); });
    o.pull = "missing";
    if (given.pull && v != "true" && v != "always" && v != "never" && v != "false" && v != "missing" && v != "newer")
        log::warn("--pull={}: not a pull policy (true, false, always, missing, never, newer); using missing",
                  given.pullValue);
    if (given.pullAlways || v == "true" || v == "always") o.pull = "always";
    if (given.pullNever || v == "never") o.pull = "never";

    if ((o.squash && given.layers) || (o.squash && o.squashAll))
        throw InvalidArgument("cannot specify --squash with --layers and --squash-all with --squash");
    if (o.squash || (o.squashAll && !given.layers)) o.layers = false;
    for (const auto& u : o.ulimits) parseUlimit(u);
}

OutputToFile::OutputToFile(const std::string& path) {
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (!fd) throw SysError(errno, "open " + path + " (--logfile)");
    std::cout.flush();
    std::cerr.flush();
    UniqueFd out(::fcntl(1, F_DUPFD_CLOEXEC, 3)), err(::fcntl(2, F_DUPFD_CLOEXEC, 3));
    if (!out || !err) throw SysError(errno, "save stdout and stderr for --logfile");
    if (::dup2(fd.get(), 1) < 0) throw SysError(errno, "redirect stdout to " + path + " (--logfile)");
    savedOut_ = out.release();
    if (::dup2(fd.get(), 2) < 0) {
        int e = errno;
        ::dup2(savedOut_, 1);
        ::close(savedOut_);
        throw SysError(e, "redirect stderr to " + path + " (--logfile)");
    }
    savedErr_ = err.release();
}

OutputToFile::~OutputToFile() {
    std::cout.flush();
    std::cerr.flush();
    ::dup2(savedOut_, 1);
    ::close(savedOut_);
    ::dup2(savedErr_, 2);
    ::close(savedErr_);
}

}  // namespace hutch::engine::build
