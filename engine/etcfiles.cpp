#include "hutch/engine/etcfiles.hpp"

namespace hutch::engine {

std::string hostnameFile(const std::string& hostname) { return hostname + "\n"; }

std::string hostsFile(const std::string& hostname) {
    std::string names = hostname;
    auto dot = hostname.find('.');
    if (dot != std::string::npos && dot > 0) names += " " + hostname.substr(0, dot);
    return "127.0.0.1\tlocalhost localhost.localdomain localhost4 localhost4.localdomain4\n"
           "::1\tlocalhost localhost.localdomain localhost6 localhost6.localdomain6\n"
           "127.0.1.1\t" + names + "\n";
}

std::string resolvConfFile(const std::string& hostResolvConf, bool hostNetwork) {
    if (!hostNetwork) return "";
    return hostResolvConf;
}

}  // namespace hutch::engine
