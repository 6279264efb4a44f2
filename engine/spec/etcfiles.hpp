// Generated /etc/hostname, /etc/hosts and /etc/resolv.conf for a container.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace hutch::engine {

/// "/etc/hostname" content: the hostname and a newline.
std::string hostnameFile(const std::string& hostname);

/// What /etc/hosts lists besides the localhost lines.
struct HostsInput {
    std::string hostname;
    std::string address;      ///< the container's IPv4 address; "" = 127.0.1.1 (host, none)
    std::string hostGateway;  ///< address of host.containers.internal; "" = no such line
    std::vector<std::pair<std::string, std::string>> extra;  ///< --add-host (name, ip), first
};

/// "/etc/hosts" content (podman's layout): --add-host entries, the localhost lines (IPv4 and
/// IPv6), the container's address with the hostname (plus its short name when it has a dot,
/// so `hostname -f/-s/-d` work), then host.containers.internal.
std::string hostsFile(const HostsInput& in);

/// hostsFile with only a hostname: the hostname on 127.0.1.1, as Debian writes it.
std::string hostsFile(const std::string& hostname);

/// What shapes /etc/resolv.conf besides the host's file.
struct ResolvInput {
    bool hostNetwork = false;               ///< --net=host: the host's servers as they are
    bool noNetwork = false;                 ///< --net=none: no servers (unless --dns)
    std::string forwarder;                  ///< the user-mode stack's DNS forwarder, first
    std::vector<std::string> dns, search, options;  ///< --dns, --dns-search, --dns-option
};

/// "/etc/resolv.conf" content. Nameservers: --dns when given; else with a private network
/// the forwarder then the host's non-loopback servers (a loopback server is unreachable
/// from the container's namespace; the forwarder reaches it); with the host network the
/// host's; none with --net=none. search/options: --dns-search/--dns-option when given
/// ("." clears the search list), else the host's `search`/`domain` and `options` lines.
std::string resolvConfFile(const std::string& hostResolvConf, const ResolvInput& in);

/// resolvConfFile for host (`hostNetwork`) or no network without flags.
std::string resolvConfFile(const std::string& hostResolvConf, bool hostNetwork);

/// True for 127.0.0.0/8 and ::1 addresses.
bool isLoopbackAddress(const std::string& ip);

/// --tz: the zone file on this host for "local" (/etc/localtime) or an Area/City name under
/// /usr/share/zoneinfo. Throws InvalidArgument for an unknown zone or a name that would leave
/// the zoneinfo directory ("..", absolute).
std::string zoneFile(const std::string& tz);

}  // namespace hutch::engine
