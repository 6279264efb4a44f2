#include "hutch/engine/spec/userns.hpp"

#include <algorithm>

#include "hutch/common/error.hpp"
#include "hutch/common/fsutil.hpp"

namespace hutch::engine {

namespace {

uint32_t number(const std::string& flag, const std::string& value, const std::string& part) {
    if (part.empty() || part.find_first_not_of("0123456789") != std::string::npos)
        throw InvalidArgument(flag + " " + value + ": \"" + part + "\" is not a number" +
                              (flag == "--userns" ? std::string() : " (the form is CONTAINER:INTERMEDIATE:SIZE, e.g. 0:1:65536)"));
    if (part.size() > 10 || std::stoull(part) > UINT32_MAX)
        throw InvalidArgument(flag + " " + value + ": " + part + " is too large");
    uint64_t v = std::stoull(part);
    return static_cast<uint32_t>(v);
}

std::string range(uint64_t start, uint64_t size) { return std::to_string(start) + "-" + std::to_string(start + size - 1); }

/// Checks `maps` (from `flag`) against a namespace of `count` ids.
void check(const std::string& flag, const std::vector<IdMapping>& maps, uint64_t count, const char* subFile) {
    for (size_t i = 0; i < maps.size(); ++i) {
        const IdMapping& m = maps[i];
        std::string shown = flag + " " + std::to_string(m.containerId) + ":" + std::to_string(m.hostId) + ":" + std::to_string(m.size);
        if (uint64_t{m.hostId} + m.size > count)
            throw InvalidArgument(shown + ": intermediate ids " + range(m.hostId, m.size) + " go past the " +
                                  std::to_string(count) + " ids of your user namespace (0 is you, 1-" +
                                  std::to_string(count - 1) + " your range in " + subFile +
                                  "): use intermediate ids below " + std::to_string(count) + ", or grant a larger range in " +
                                  subFile + " and end the session (hutch system migrate)");
        if (uint64_t{m.containerId} + m.size > uint64_t{UINT32_MAX})
            throw InvalidArgument(shown + ": container ids past 4294967294");
        for (size_t j = 0; j < i; ++j) {
            const IdMapping& o = maps[j];
            auto overlap = [](uint64_t a, uint64_t as, uint64_t b, uint64_t bs) { return a < b + bs && b < a + as; };
            std::string other = std::to_string(o.containerId) + ":" + std::to_string(o.hostId) + ":" + std::to_string(o.size);
            if (overlap(m.containerId, m.size, o.containerId, o.size))
                throw InvalidArgument(shown + ": container ids " + range(m.containerId, m.size) + " overlap those of " +
                                      flag + " " + other + "; each container id may be mapped once");
            if (overlap(m.hostId, m.size, o.hostId, o.size))
                throw InvalidArgument(shown + ": intermediate ids " + range(m.hostId, m.size) + " overlap those of " +
                                      flag + " " + other + "; each intermediate id may be used once");
        }
    }
}

/// keep-id's mapping: `id` -> 0 (you), 0..id-1 -> 1..id, id+1.. -> id+1.. up to `count`.
std::vector<IdMapping> keepIdMap(uint32_t id, uint64_t count, const std::string& what) {
    if (count < 2) throw InvalidArgument("--userns=keep-id needs a subordinate id range: add one to /etc/sub" + what);
    if (id >= count)
        throw InvalidArgument("--userns=keep-id: " + what + " " + std::to_string(id) + " is not below the " +
                              std::to_string(count) + " ids of your user namespace: choose a smaller " + what +
                              " (keep-id:" + what + "=N) or grant a larger range in /etc/sub" + what);
    std::vector<IdMapping> m;
    if (id > 0) m.push_back({0, 1, id});
    m.push_back({id, 0, 1});
    if (id + 1 < count) m.push_back({id + 1, id + 1, static_cast<uint32_t>(count - id - 1)});
    return m;
}

/// --subuidname/--subgidname NAME: container 0.. onto the ranges `granted` to NAME in
/// `file`, each translated from host ids to this namespace's through `own` (its id -> host).
std::vector<IdMapping> namedMapping(const std::string& flag, const std::string& name, const std::vector<SubIdRange>& granted,
                                    const std::vector<IdMapping>& own, const char* file) {
    if (granted.empty())
        throw InvalidArgument(flag + " " + name + ": " + file + " grants no range to \"" + name +
                              "\": add one (usermod --add-subuids START-END " + name + ") or name another user");
    std::vector<IdMapping> out;
    uint64_t next = 0;
    for (const auto& r : granted) {
        // Where the host range starts in this namespace, if all of it is there.
        std::optional<uint64_t> start;
        for (const auto& m : own)
            if (r.start >= m.hostId && uint64_t{r.start} + r.count <= uint64_t{m.hostId} + m.size)
                start = uint64_t{m.containerId} + (r.start - m.hostId);
        if (!start) {
            std::string mine;
            for (const auto& m : own)
                mine += (mine.empty() ? "" : ", ") + range(m.hostId, m.size);
            throw InvalidArgument(flag + " " + name + ": its range " + range(r.start, r.count) + " in " + file +
                                  " is not in your user namespace (host ids " + mine +
                                  "): name a user whose range is part of yours, or use --uidmap/--gidmap");
        }
        if (next + r.count > UINT32_MAX) break;
        out.push_back({static_cast<uint32_t>(next), static_cast<uint32_t>(*start), r.count});
        next += r.count;
    }
    return out;
}

}  // namespace

IdMapping parseIdMapFlag(const std::string& flag, const std::string& value) {
    auto parts = str::split(value, ':');
    if (parts.size() != 3)
        throw InvalidArgument(flag + " " + value + ": the form is CONTAINER:INTERMEDIATE:SIZE, e.g. 0:1:65536");
    IdMapping m{number(flag, value, parts[0]), number(flag, value, parts[1]), number(flag, value, parts[2])};
    if (m.size == 0) throw InvalidArgument(flag + " " + value + ": the size must be at least 1");
    return m;
}

UsernsPlan resolveUserns(const UsernsFlags& flags, const UsernsHost& host) {
    UsernsPlan plan;
    bool maps = !flags.uidmap.empty() || !flags.gidmap.empty();
    std::string mode = flags.mode, opts;
    if (auto colon = mode.find(':'); colon != std::string::npos) {
        opts = mode.substr(colon + 1);
        mode.resize(colon);
    }
    bool names = !flags.subuidname.empty() || !flags.subgidname.empty();
    if (maps && names) throw InvalidArgument("--subuidname and --subgidname cannot be used with --uidmap or --gidmap");
    if ((maps || names) && !flags.mode.empty() && mode != "private")
        throw InvalidArgument("--userns=" + flags.mode + " cannot be used with " +
                              (maps ? "--uidmap or --gidmap" : "--subuidname or --subgidname"));
    if (names) {
        plan.mode = "private";
        std::string un = flags.subuidname.empty() ? flags.subgidname : flags.subuidname;
        std::string gn = flags.subgidname.empty() ? flags.subuidname : flags.subgidname;
        plan.uids = namedMapping("--subuidname", un, host.subuidRanges, host.ownUids, "/etc/subuid");
        plan.gids = namedMapping("--subgidname", gn, host.subgidRanges, host.ownGids, "/etc/subgid");
        return plan;
    }
    if (maps) {
        plan.mode = "private";
        for (const auto& v : flags.uidmap) plan.uids.push_back(parseIdMapFlag("--uidmap", v));
        for (const auto& v : flags.gidmap) plan.gids.push_back(parseIdMapFlag("--gidmap", v));
        if (plan.gids.empty()) plan.gids = plan.uids;  // as podman: --gidmap defaults to --uidmap
        if (plan.uids.empty()) plan.uids = plan.gids;
        check(flags.uidmap.empty() ? "--gidmap" : "--uidmap", plan.uids, host.uidCount, "/etc/subuid");
        check(flags.gidmap.empty() ? "--uidmap" : "--gidmap", plan.gids, host.gidCount, "/etc/subgid");
        return plan;
    }
    const bool colon = flags.mode.find(':') != std::string::npos;
    if (mode.empty() || mode == "host") {
        if (colon) throw InvalidArgument("--userns=" + flags.mode + ": host takes no options");
        plan.mode = "host";
        return plan;
    }
    if (mode == "keep-id") {
        uint32_t uid = host.userUid, gid = host.userGid;
        for (const auto& o : str::split(opts, ',')) {
            if (o.empty()) continue;
            auto [k, v] = str::cut(o, '=');
            if (k == "uid") uid = number("--userns", flags.mode, v);
            else if (k == "gid") gid = number("--userns", flags.mode, v);
            else throw InvalidArgument("--userns=" + flags.mode + ": unknown keep-id option \"" + k + "\" (uid=N, gid=N)");
        }
        plan.mode = "keep-id";
        plan.uids = keepIdMap(uid, host.uidCount, "uid");
        plan.gids = keepIdMap(gid, host.gidCount, "gid");
        plan.defaultUser = std::to_string(uid) + ":" + std::to_string(gid);
        return plan;
    }
    if (mode == "nomap") {
        if (colon) throw InvalidArgument("--userns=" + flags.mode + ": nomap takes no options");
        if (host.uidCount < 2 || host.gidCount < 2)
            throw InvalidArgument("--userns=nomap needs a subordinate id range in /etc/subuid and /etc/subgid");
        plan.mode = "nomap";
        plan.uids = {{0, 1, static_cast<uint32_t>(host.uidCount - 1)}};
        plan.gids = {{0, 1, static_cast<uint32_t>(host.gidCount - 1)}};
        return plan;
    }
    if (mode == "auto") {
        uint64_t size = std::max<uint32_t>(host.imageSpan, 1024);
        for (const auto& o : str::split(opts, ',')) {
            if (o.empty()) continue;
            auto [k, v] = str::cut(o, '=');
            if (k == "size") size = number("--userns", flags.mode, v);
            else throw InvalidArgument("--userns=" + flags.mode + ": unknown auto option \"" + k + "\" (size=N)");
        }
        if (size == 0) throw InvalidArgument("--userns=" + flags.mode + ": the size must be at least 1");
        uint64_t count = std::min(host.uidCount, host.gidCount);
        // The lowest start from 1 (0 is you) whose range no other container's mapping touches.
        auto ranges = host.used;
        std::sort(ranges.begin(), ranges.end());
        uint64_t start = 1;
        for (const auto& [b, e] : ranges) {
            if (b >= start + size) break;
            if (e > start) start = e;
        }
        if (start + size > count)
            throw InvalidArgument("--userns=" + flags.mode + ": no free range of " + std::to_string(size) +
                                  " ids is left among your " + std::to_string(count - 1) +
                                  " subordinate ids (other containers' mappings use the rest): remove containers, "
                                  "ask for less (auto:size=N), or grant a larger range in /etc/subuid and /etc/subgid");
        plan.mode = "auto";
        plan.uids = plan.gids = {{0, static_cast<uint32_t>(start), static_cast<uint32_t>(size)}};
        return plan;
    }
    if (mode == "private") {
        if (colon) throw InvalidArgument("--userns=" + flags.mode + ": private takes no options");
        plan.mode = "private";
        plan.uids = {{0, 0, static_cast<uint32_t>(std::min<uint64_t>(host.uidCount, UINT32_MAX))}};
        plan.gids = {{0, 0, static_cast<uint32_t>(std::min<uint64_t>(host.gidCount, UINT32_MAX))}};
        return plan;
    }
    if (mode == "ns" || mode == "container")
        throw InvalidArgument("--userns=" + flags.mode + " is not supported yet: use private, auto, --uidmap/--gidmap, keep-id or nomap");
    throw InvalidArgument("--userns=" + flags.mode +
                          ": unknown mode (host, private, keep-id[:uid=N,gid=N], nomap, auto[:size=N], or --uidmap)");
}

std::optional<std::pair<uid_t, gid_t>> containerRootIds(const std::vector<IdMapping>& uids,
                                                        const std::vector<IdMapping>& gids) {
    if (uids.empty()) return std::nullopt;
    return std::pair<uid_t, gid_t>(mapToHost(uids, 0).value_or(0), mapToHost(gids, 0).value_or(0));
}

bool isIdentityMapping(const std::vector<IdMapping>& maps) {
    for (const auto& m : maps)
        if (m.containerId != m.hostId) return false;
    return true;
}

bool isAutoUserns(const std::string& mode) { return mode == "auto" || mode.rfind("auto:", 0) == 0; }

std::vector<std::string> formatIdMappings(const std::vector<IdMapping>& maps) {
    std::vector<std::string> out;
    for (const auto& m : maps)
        out.push_back(std::to_string(m.containerId) + ":" + std::to_string(m.hostId) + ":" + std::to_string(m.size));
    return out;
}

}  // namespace hutch::engine
