// Generated /etc/hostname, /etc/hosts and /etc/resolv.conf for a container.
#pragma once

#include <string>

namespace hutch::engine {

/// "/etc/hostname" content: the hostname and a newline.
std::string hostnameFile(const std::string& hostname);

/// "/etc/hosts" content: localhost lines (IPv4 and IPv6) and the hostname (plus its short
/// name when it has a dot) on 127.0.1.1, as Debian writes it.
std::string hostsFile(const std::string& hostname);

/// "/etc/resolv.conf" content for host networking: the host's file as it is (its
/// nameservers are reachable from the host network namespace); an empty one for none.
std::string resolvConfFile(const std::string& hostResolvConf, bool hostNetwork);

}  // namespace hutch::engine
