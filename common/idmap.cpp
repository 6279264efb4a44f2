#include "hutch/common/idmap.hpp"

#include <algorithm>
#include <cstdlib>

#include "hutch/common/error.hpp"
#include "hutch/common/fsutil.hpp"

namespace hutch {

std::vector<SubIdRange> readSubIds(const std::string& path, const std::string& userName, uid_t uid) {
    std::string text;
    try {
        text = fsutil::readFile(path);
    } catch (const NotFound&) {
        return {};
    }
    std::vector<SubIdRange> out;
    std::string uidStr = std::to_string(uid);
    for (const auto& raw : str::split(text, '\n')) {
        std::string line = str::trim(raw);
        if (line.empty() || line[0] == '#') continue;
        auto f = str::split(line, ':');
        if (f.size() != 3) continue;
        if (f[0] != userName && f[0] != uidStr) continue;
        char* end = nullptr;
        unsigned long start = std::strtoul(f[1].c_str(), &end, 10);
        if (*end || f[1].empty()) continue;
        unsigned long count = std::strtoul(f[2].c_str(), &end, 10);
        if (*end || f[2].empty() || count == 0) continue;
        out.push_back({static_cast<uint32_t>(start), static_cast<uint32_t>(count)});
    }
    return out;
}

uint64_t freeSubIdStart(const std::string& path, uint32_t count) {
    std::string text;
    try {
        text = fsutil::readFile(path);
    } catch (const NotFound&) {
        return 100000;
    }
    std::vector<std::pair<uint64_t, uint64_t>> used;  // [start, end)
    for (const auto& raw : str::split(text, '\n')) {
        auto f = str::split(str::trim(raw), ':');
        if (f.size() != 3 || f[0].empty() || f[0][0] == '#') continue;
        char* e1 = nullptr;
        char* e2 = nullptr;
        uint64_t start = std::strtoull(f[1].c_str(), &e1, 10), n = std::strtoull(f[2].c_str(), &e2, 10);
        if (*e1 || *e2 || f[1].empty() || f[2].empty() || n == 0) continue;
        used.emplace_back(start, start + n);
    }
    std::sort(used.begin(), used.end());
    uint64_t cand = 100000;
    for (const auto& [s, e] : used)
        if (s < cand + count && e > cand) cand = e;  // overlaps: try just past it
    return cand;
}

std::vector<IdMapping> rootlessMapping(uint32_t hostId, const std::vector<SubIdRange>& ranges) {
    std::vector<IdMapping> m{{0, hostId, 1}};
    uint32_t next = 1;
    for (const auto& r : ranges) {
        m.push_back({next, r.start, r.count});
        next += r.count;
    }
    return m;
}

std::optional<uint32_t> mapToHost(const std::vector<IdMapping>& maps, uint32_t id) {
    for (const auto& m : maps)
        if (id >= m.containerId && id - m.containerId < m.size) return m.hostId + (id - m.containerId);
    return std::nullopt;
}

std::optional<uint32_t> mapToContainer(const std::vector<IdMapping>& maps, uint32_t id) {
    for (const auto& m : maps)
        if (id >= m.hostId && id - m.hostId < m.size) return m.containerId + (id - m.hostId);
    return std::nullopt;
}

uint64_t mappedCount(const std::vector<IdMapping>& maps) {
    uint64_t n = 0;
    for (const auto& m : maps) n += m.size;
    return n;
}

std::vector<IdMapping> splitAlongExtents(const std::vector<IdMapping>& maps, const std::vector<IdMapping>& parent) {
    std::vector<IdMapping> out;
    for (const auto& m : maps) {
        uint64_t c = m.containerId, h = m.hostId, left = m.size;
        while (left > 0) {
            // The extent of `parent` holding h, or the start of the next one above it.
            uint64_t take = left;
            for (const auto& p : parent) {
                uint64_t lo = p.containerId, hi = lo + p.size;
                if (h >= lo && h < hi) take = std::min<uint64_t>(left, hi - h);
                else if (lo > h) take = std::min<uint64_t>(take, lo - h);
            }
            out.push_back({static_cast<uint32_t>(c), static_cast<uint32_t>(h), static_cast<uint32_t>(take)});
            c += take;
            h += take;
            left -= take;
        }
    }
    return out;
}

}  // namespace hutch
