#include "hutch/engine/spec/netconf.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <tuple>

#include <fmt/format.h>

#include "hutch/common/error.hpp"
#include "hutch/common/fsutil.hpp"

namespace hutch::engine {

using nlohmann::json;

json NetworkOptions::toJson() const {
    json p = json::array();
    for (const auto& m : ports)
        p.push_back({{"hostIp", m.hostIp}, {"hostPort", m.hostPort}, {"containerPort", m.containerPort},
                     {"count", m.count}, {"protocol", m.protocol}});
    return json{{"ports", p},        {"publishAll", publishAll},   {"dns", dns},           {"dnsSearch", dnsSearch},
                {"dnsOptions", dnsOptions}, {"addHosts", addHosts}, {"noHosts", noHosts}};
}

NetworkOptions NetworkOptions::fromJson(const json& j) {
    NetworkOptions o;
    if (!j.is_object()) return o;
    if (j.contains("ports"))
        for (const auto& p : j["ports"]) {
            PortMapping m;
            m.hostIp = p.value("hostIp", "");
            m.hostPort = p.value("hostPort", uint16_t{0});
            m.containerPort = p.value("containerPort", uint16_t{0});
            m.count = p.value("count", uint16_t{1});
            m.protocol = p.value("protocol", "tcp");
            o.ports.push_back(m);
        }
    o.publishAll = j.value("publishAll", false);
    o.dns = j.value("dns", std::vector<std::string>{});
    o.dnsSearch = j.value("dnsSearch", std::vector<std::string>{});
    o.dnsOptions = j.value("dnsOptions", std::vector<std::string>{});
    o.addHosts = j.value("addHosts", std::vector<std::string>{});
    o.noHosts = j.value("noHosts", false);
    return o;
}

namespace {

/// "N" or "N-M" -> {N, M-N+1}; throws with `what` naming the flag value.
std::pair<uint16_t, uint16_t> portRange(const std::string& s, const std::string& what, bool allowZero) {
    auto num = [&](const std::string& t) -> uint16_t {
        if (t.empty() || t.size() > 5 || !std::all_of(t.begin(), t.end(), ::isdigit))
            throw InvalidArgument(what + ": invalid port \"" + t + "\"");
        unsigned long v = std::stoul(t);
        if (v > 65535 || (v == 0 && !allowZero)) throw InvalidArgument(what + ": port " + t + " out of range 1-65535");
        return static_cast<uint16_t>(v);
    };
    bool dash = false;
    auto [a, b] = str::cut(s, '-', &dash);
    uint16_t first = num(a);
    if (!dash) return {first, 1};
    uint16_t last = num(b);
    if (last < first) throw InvalidArgument(what + ": invalid port range \"" + s + "\"");
    return {first, static_cast<uint16_t>(last - first + 1)};
}

}  // namespace

PortMapping parsePublish(const std::string& spec) {
    const std::string what = "-p/--publish \"" + spec + "\"";
    PortMapping m;
    std::string rest = spec;
    auto slash = rest.rfind('/');
    if (slash != std::string::npos) {
        m.protocol = rest.substr(slash + 1);
        rest = rest.substr(0, slash);
        if (m.protocol != "tcp" && m.protocol != "udp")
            throw InvalidArgument(what + ": unknown protocol \"" + m.protocol + "\" (tcp or udp)");
    }
    std::string hostIp, hostPart, ctrPart;
    bool hasHost = false;
    if (!rest.empty() && rest[0] == '[') {  // [ipv6]:hostport:ctrport
        auto close = rest.find(']');
        if (close == std::string::npos || close + 1 >= rest.size() || rest[close + 1] != ':')
            throw InvalidArgument(what + ": invalid IPv6 host address");
        hostIp = rest.substr(1, close - 1);
        rest = rest.substr(close + 2);
        auto c = rest.rfind(':');
        if (c == std::string::npos) throw InvalidArgument(what + ": missing container port");
        hostPart = rest.substr(0, c);
        ctrPart = rest.substr(c + 1);
        hasHost = true;
    } else {
        auto parts = str::split(rest, ':');
        if (parts.size() == 1) {
            ctrPart = parts[0];
        } else if (parts.size() == 2) {
            hostPart = parts[0];
            ctrPart = parts[1];
            hasHost = true;
        } else if (parts.size() == 3) {
            hostIp = parts[0];
            hostPart = parts[1];
            ctrPart = parts[2];
            hasHost = true;
            if (hostIp.empty()) throw InvalidArgument(what + ": empty host address");
        } else {
            throw InvalidArgument(what + ": too many colons");
        }
    }
    auto [cport, ccount] = portRange(ctrPart, what, false);
    m.hostIp = hostIp;
    m.containerPort = cport;
    m.count = ccount;
    if (hasHost && !hostPart.empty()) {
        auto [hport, hcount] = portRange(hostPart, what, false);
        if (hcount != ccount)
            throw InvalidArgument(what + ": host and container port ranges have different lengths");
        m.hostPort = hport;
    }
    if (static_cast<unsigned>(m.containerPort) + m.count - 1 > 65535 ||
        static_cast<unsigned>(m.hostPort) + m.count - 1 > 65535)
        throw InvalidArgument(what + ": port range beyond 65535");
    return m;
}

std::vector<PortMapping> exposedPorts(const std::vector<std::string>& keys) {
    std::vector<PortMapping> out;
    for (const auto& k : keys) {
        PortMapping m = parsePublish(k);
        if (!m.hostIp.empty() || m.hostPort != 0) throw InvalidArgument("image ExposedPorts \"" + k + "\": not a port");
        out.push_back(m);
    }
    return out;
}

void validateNetworkMode(const std::string& mode) {
    for (const char* m : {"private", "pasta", "slirp4netns", "host", "none"})
        if (mode == m) return;
    if (mode.rfind("container:", 0) == 0 && mode.size() > 10) return;
    throw InvalidArgument("--network \"" + mode +
                          "\": must be private, pasta, slirp4netns, host, none or container:NAME");
}

namespace {

/// `s` in double quotes with control characters escaped (\n, \t, \xNN), for error messages
/// about values that may hold them.
std::string quotedValue(const std::string& s) {
    std::string out = "\"";
    for (char c : s) {
        auto u = static_cast<unsigned char>(c);
        if (c == '\n') out += "\\n";
        else if (c == '\t') out += "\\t";
        else if (c == '\r') out += "\\r";
        else if (c == '"' || c == '\\') out += std::string("\\") + c;
        else if (u < 0x20 || u == 0x7f) out += fmt::format("\\x{:02x}", u);
        else out += c;
    }
    return out + "\"";
}

bool hasControl(const std::string& s) {
    return std::any_of(s.begin(), s.end(), [](char c) {
        auto u = static_cast<unsigned char>(c);
        return u < 0x20 || u == 0x7f;
    });
}

bool isIpAddress(const std::string& s) {
    unsigned char buf[16];
    return ::inet_pton(AF_INET, s.c_str(), buf) == 1 || ::inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

bool asciiAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

/// Dot-separated labels, each non-empty, of letters, digits, "-" (and "_" when `underscore`),
/// neither starting nor ending with "-".
bool dottedLabels(std::string_view s, bool underscore) {
    for (;;) {
        size_t dot = s.find('.');
        std::string_view label = s.substr(0, dot);
        if (label.empty() || label.front() == '-' || label.back() == '-') return false;
        for (char c : label)
            if (!asciiAlnum(c) && c != '-' && !(underscore && c == '_')) return false;
        if (dot == std::string_view::npos) return true;
        s.remove_prefix(dot + 1);
    }
}

}  // namespace

std::pair<std::string, std::string> parseAddHost(const std::string& value) {
    auto c = value.find(':');
    if (c == std::string::npos || c == 0 || c + 1 >= value.size())
        throw InvalidArgument("--add-host " + quotedValue(value) + ": must be NAME:IP");
    std::string name = value.substr(0, c), ip = value.substr(c + 1);
    // A line of /etc/hosts per entry: a name with a control character would inject lines.
    if (hasControl(name))
        throw InvalidArgument("--add-host " + quotedValue(value) + ": invalid host name " + quotedValue(name));
    if (ip.size() > 2 && ip.front() == '[' && ip.back() == ']') ip = ip.substr(1, ip.size() - 2);
    if (ip != "host-gateway" && !isIpAddress(ip))
        throw InvalidArgument("--add-host " + quotedValue(value) + ": invalid IP address " + quotedValue(ip));
    return {name, ip};
}

void validateHostname(const std::string& name) {
    if (name.empty()) return;
    if (name.size() > 64 || !dottedLabels(name, true))
        throw InvalidArgument("-h/--hostname " + quotedValue(name) +
                              ": invalid hostname (dot-separated labels of letters, digits, \"-\" and \"_\", "
                              "at most 64 characters)");
}

void validateNetworkOptions(const NetworkOptions& o) {
    for (const auto& d : o.dns)
        if (!isIpAddress(d)) throw InvalidArgument("--dns " + quotedValue(d) + ": not an IP address");
    for (const auto& d : o.dnsSearch) {
        if (d == ".") continue;
        std::string_view name = d;
        if (name.size() > 1 && name.back() == '.') name.remove_suffix(1);
        if (name.size() > 255 || !dottedLabels(name, false))
            throw InvalidArgument("--dns-search " + quotedValue(d) + ": not a valid domain");
    }
    for (const auto& opt : o.dnsOptions)
        if (hasControl(opt))
            throw InvalidArgument("--dns-option " + quotedValue(opt) + ": invalid DNS option");
    for (const auto& h : o.addHosts) parseAddHost(h);
}

std::vector<std::string> portLines(const std::vector<PortMapping>& ports) {
    std::vector<std::tuple<unsigned, std::string, std::string>> rows;
    for (const auto& m : ports)
        for (unsigned i = 0; i < m.count; ++i) {
            std::string ip = m.hostIp.empty() ? "0.0.0.0" : m.hostIp;
            if (ip.find(':') != std::string::npos) ip = "[" + ip + "]";
            rows.emplace_back(m.containerPort + i, m.protocol,
                              std::to_string(m.containerPort + i) + "/" + m.protocol + " -> " + ip + ":" +
                                  std::to_string(m.hostPort + i));
        }
    std::sort(rows.begin(), rows.end());
    std::vector<std::string> out;
    for (auto& r : rows) out.push_back(std::get<2>(r));
    return out;
}

std::string portSummary(const std::vector<PortMapping>& ports) {
    std::string out;
    for (const auto& m : ports) {
        std::string ip = m.hostIp.empty() ? "0.0.0.0" : m.hostIp;
        if (ip.find(':') != std::string::npos) ip = "[" + ip + "]";
        auto range = [&](uint16_t first) {
            return std::to_string(first) + (m.count > 1 ? "-" + std::to_string(first + m.count - 1) : "");
        };
        out += (out.empty() ? "" : ", ") + ip + ":" + range(m.hostPort) + "->" + range(m.containerPort) + "/" + m.protocol;
    }
    return out;
}

nlohmann::json portsJson(const std::vector<PortMapping>& ports) {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& m : ports)
        arr.push_back({{"host_ip", m.hostIp},
                       {"container_port", m.containerPort},
                       {"host_port", m.hostPort},
                       {"range", m.count},
                       {"protocol", m.protocol}});
    return arr;
}

}  // namespace hutch::engine

namespace hutch::engine {

nlohmann::json NetworkState::toJson() const {
    return nlohmann::json{{"helper", helper},         {"nsPath", nsPath},
                          {"ownsNamespace", ownsNamespace}, {"helperPid", helperPid},
                          {"helperStartTime", helperStartTime}, {"keeperPid", keeperPid},
                          {"keeperStartTime", keeperStartTime}, {"address", address},
                          {"gateway", gateway},       {"dnsForwarder", dnsForwarder}};
}

NetworkState NetworkState::fromJson(const nlohmann::json& j) {
    NetworkState s;
    if (!j.is_object()) return s;
    s.helper = j.value("helper", "");
    s.nsPath = j.value("nsPath", "");
    s.ownsNamespace = j.value("ownsNamespace", false);
    s.helperPid = j.value("helperPid", 0);
    s.helperStartTime = j.value("helperStartTime", uint64_t{0});
    s.keeperPid = j.value("keeperPid", 0);
    s.keeperStartTime = j.value("keeperStartTime", uint64_t{0});
    s.address = j.value("address", "");
    s.gateway = j.value("gateway", "");
    s.dnsForwarder = j.value("dnsForwarder", "");
    return s;
}

}  // namespace hutch::engine
