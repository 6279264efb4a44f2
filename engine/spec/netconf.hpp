// Network options of a container (podman's --network, -p/--publish, -P, --dns*, --add-host,
// --no-hosts) and their parsing. Pure: no I/O, unit-tested directly. The helper process that
// implements a private network lives in network.hpp.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace hutch::engine {

/// One published port range: host ports [hostPort, hostPort+count) forward to container ports
/// [containerPort, containerPort+count). hostPort 0 = not chosen yet (a free port is picked
/// when the container is created).
struct PortMapping {
    std::string hostIp;  ///< "" = every host address
    uint16_t hostPort = 0;
    uint16_t containerPort = 0;
    uint16_t count = 1;
    std::string protocol = "tcp";  ///< tcp | udp

    bool operator==(const PortMapping&) const = default;
};

/// Network flags of `run`, as given (ports resolved at creation).
struct NetworkOptions {
    std::vector<PortMapping> ports;          ///< -p, then -P's image ports
    bool publishAll = false;                 ///< -P
    std::vector<std::string> dns;            ///< --dns servers (replace the host's)
    std::vector<std::string> dnsSearch;      ///< --dns-search domains ("." = none)
    std::vector<std::string> dnsOptions;     ///< --dns-option options
    std::vector<std::string> addHosts;       ///< --add-host "name:ip" entries
    bool noHosts = false;                    ///< --no-hosts: keep the image's /etc/hosts

    nlohmann::json toJson() const;
    static NetworkOptions fromJson(const nlohmann::json& j);  ///< missing keys = defaults
};

/// Parses one -p/--publish value, podman's grammar:
/// `[[hostIp:][hostPort[-hostEnd]]:]containerPort[-containerEnd][/tcp|udp]` (an IPv6 host
/// address in brackets). A missing host port is 0 (picked later). Throws InvalidArgument
/// naming the value: bad numbers, port 0 as container port, ranges of different lengths, an
/// unknown protocol.
PortMapping parsePublish(const std::string& spec);

/// Ports from the image's ExposedPorts keys ("80/tcp", "53/udp", "8080"), each with host
/// port 0. Throws InvalidArgument for a malformed key.
std::vector<PortMapping> exposedPorts(const std::vector<std::string>& keys);

/// Validates a --network value: private, pasta, slirp4netns, host, none, or container:NAME
/// (NAME non-empty). Throws InvalidArgument naming the value.
void validateNetworkMode(const std::string& mode);

/// Parses an --add-host value "name:ip" (ip an IPv4 or IPv6 address, IPv6 maybe in
/// brackets, or "host-gateway", kept as is). Throws InvalidArgument naming the flag when the
/// name or the address is missing, the address is not one, or the name holds a control
/// character (a newline would inject a line into /etc/hosts).
std::pair<std::string, std::string> parseAddHost(const std::string& value);

/// Validates a -h/--hostname value: "" (the default: the container id) or at most 64 bytes
/// (the kernel's limit) of dot-separated labels of ASCII letters, digits, "-" and "_", none
/// empty or starting or ending with "-" (RFC 1123, plus "_" which podman takes):
/// "x250.home" is one. Throws InvalidArgument naming the flag.
void validateHostname(const std::string& name);

/// Validates the DNS and hosts flags before anything is created: every --dns an IPv4 or IPv6
/// address; every --dns-search "." or a domain name (labels of letters, digits and "-", an
/// optional final dot, at most 255 characters); no --dns-option with a control character
/// (a newline would inject a line into resolv.conf); every --add-host as
/// parseAddHost. Throws InvalidArgument naming the flag and the value.
void validateNetworkOptions(const NetworkOptions& o);

/// `hutch port` lines, podman's format: "80/tcp -> 0.0.0.0:8080", one per port, sorted by
/// container port then protocol.
std::vector<std::string> portLines(const std::vector<PortMapping>& ports);

/// `ps`'s PORTS column as podman writes it: "0.0.0.0:8080->80/tcp, 0.0.0.0:9000-9001->90-91/udp"
/// ("" for none).
std::string portSummary(const std::vector<PortMapping>& ports);

/// `ps --format json`'s "Ports": [{"host_ip","container_port","host_port","range","protocol"}].
nlohmann::json portsJson(const std::vector<PortMapping>& ports);

}  // namespace hutch::engine

namespace hutch::engine {

/// Runtime state of a container's network while it runs (kept in its record, so `rm -f` and
/// the next command can clean up after a killed owner).
struct NetworkState {
    std::string helper;         ///< "pasta" | "slirp4netns" | "" (host, none, container:)
    std::string nsPath;         ///< network namespace the container joins ("" = its own/host's)
    bool ownsNamespace = false; ///< nsPath is our bind mount (removed at teardown)
    int helperPid = 0;          ///< the helper process, with its start time against pid reuse
    uint64_t helperStartTime = 0;
    int keeperPid = 0;          ///< the process holding the namespace file (see network.cpp)
    uint64_t keeperStartTime = 0;
    std::string address;        ///< the container's IPv4 address ("" = unknown)
    std::string gateway;        ///< the helper's address of the host (host.containers.internal)
    std::string dnsForwarder;   ///< the helper's DNS forwarder ("" = none)

    nlohmann::json toJson() const;
    static NetworkState fromJson(const nlohmann::json& j);  ///< null/missing = empty state
};

}  // namespace hutch::engine
