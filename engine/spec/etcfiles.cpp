#include "hutch/engine/spec/etcfiles.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <sstream>

#include "hutch/common/error.hpp"

namespace hutch::engine {

std::string hostnameFile(const std::string& hostname) { return hostname + "\n"; }

std::string hostsFile(const HostsInput& in) {
    std::string out;
    for (const auto& [name, ip] : in.extra) out += ip + "\t" + name + "\n";
    out += "127.0.0.1\tlocalhost localhost.localdomain localhost4 localhost4.localdomain4\n"
           "::1\tlocalhost localhost.localdomain localhost6 localhost6.localdomain6\n";
    std::string names = in.hostname;
    auto dot = in.hostname.find('.');
    if (dot != std::string::npos && dot > 0) names += " " + in.hostname.substr(0, dot);
    out += (in.address.empty() ? std::string("127.0.1.1") : in.address) + "\t" + names + "\n";
    if (!in.hostGateway.empty()) out += in.hostGateway + "\thost.containers.internal\n";
    return out;
}

std::string hostsFile(const std::string& hostname) {
    HostsInput in;
    in.hostname = hostname;
    return hostsFile(in);
}

bool isLoopbackAddress(const std::string& ip) { return ip.rfind("127.", 0) == 0 || ip == "::1"; }

std::string resolvConfFile(const std::string& hostResolvConf, const ResolvInput& in) {
    std::vector<std::string> servers, search, options;
    std::istringstream lines(hostResolvConf);
    for (std::string line; std::getline(lines, line);) {
        std::istringstream words(line);
        std::string key, w;
        words >> key;
        std::vector<std::string> rest;
        while (words >> w) rest.push_back(w);
        if (key == "nameserver" && !rest.empty())
            servers.push_back(rest[0]);
        else if (key == "search" || key == "domain")
            search = rest;  // the last of them wins, as in resolv.conf(5)
        else if (key == "options")
            options.insert(options.end(), rest.begin(), rest.end());
    }
    std::vector<std::string> ns;
    if (!in.dns.empty()) {
        ns = in.dns;
    } else if (in.hostNetwork) {
        ns = servers;
    } else if (!in.noNetwork) {
        if (!in.forwarder.empty()) ns.push_back(in.forwarder);
        for (const auto& s : servers)
            if (!isLoopbackAddress(s) && std::find(ns.begin(), ns.end(), s) == ns.end()) ns.push_back(s);
    }
    if (!in.search.empty()) search = (in.search.size() == 1 && in.search[0] == ".") ? std::vector<std::string>{} : in.search;
    if (!in.options.empty()) options = in.options;
    std::string out;
    if (!search.empty()) {
        out += "search";
        for (const auto& s : search) out += " " + s;
        out += "\n";
    }
    for (const auto& s : ns) out += "nameserver " + s + "\n";
    if (!options.empty()) {
        out += "options";
        for (const auto& o : options) out += " " + o;
        out += "\n";
    }
    return out;
}

std::string resolvConfFile(const std::string& hostResolvConf, bool hostNetwork) {
    if (hostNetwork) return hostResolvConf;  // as it is, comments included
    ResolvInput in;
    in.noNetwork = true;
    return resolvConfFile(hostResolvConf, in);
}

std::string zoneFile(const std::string& tz) {
    if (tz == "local") return "/etc/localtime";
    bool bad = tz.empty() || tz[0] == '/' || tz.find("..") != std::string::npos ||
               tz.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_+-/") != std::string::npos;
    std::string path = "/usr/share/zoneinfo/" + tz;
    struct stat st {};
    if (bad || ::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
        throw InvalidArgument("--tz " + tz + ": unknown time zone (a name from /usr/share/zoneinfo, e.g. Europe/Berlin, or local)");
    return path;
}

}  // namespace hutch::engine
