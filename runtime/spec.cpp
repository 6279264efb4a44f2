// Parsing of config.json (OCI runtime-spec 1.0.2). Only the fields the runtime implements
// are read; unknown fields are ignored, as the spec requires.
#include "hutch/common/jsonbytes.hpp"
#include "hutch/runtime/spec.hpp"

#include <nlohmann/json.hpp>

#include "hutch/common/error.hpp"
#include "hutch/common/fsutil.hpp"

namespace hutch::runtime {

using nlohmann::json;

bool Spec::hasNamespace(const std::string& type) const {
    for (const auto& n : namespaces)
        if (n.type == type) return true;
    return false;
}

namespace {

struct Reader {
    const std::string& file;
    [[noreturn]] void fail(const std::string& msg) const { throw ConfigError(file, 0, msg); }

    template <typename T>
    T get(const json& j, const char* key, const std::string& where, T def = T{}) const {
        auto it = j.find(key);
        if (it == j.end() || it->is_null()) return def;
        try {
            return it->template get<T>();
        } catch (const json::exception& e) {
            fail(where + "." + key + ": wrong type (" + e.what() + ")");
        }
    }
    const json* obj(const json& j, const char* key, const std::string& where) const {
        auto it = j.find(key);
        if (it == j.end() || it->is_null()) return nullptr;
        if (!it->is_object()) fail(where + "." + key + ": must be an object");
        return &*it;
    }
    const json* arr(const json& j, const char* key, const std::string& where) const {
        auto it = j.find(key);
        if (it == j.end() || it->is_null()) return nullptr;
        if (!it->is_array()) fail(where + "." + key + ": must be an array");
        return &*it;
    }
    std::vector<IdMapping> mappings(const json& j, const char* key) const {
        std::vector<IdMapping> out;
        if (auto* a = arr(j, key, "linux"))
            for (const auto& m : *a)
                out.push_back({get<uint32_t>(m, "containerID", std::string("linux.") + key),
                               get<uint32_t>(m, "hostID", std::string("linux.") + key),
                               get<uint32_t>(m, "size", std::string("linux.") + key)});
        return out;
    }
};

const char* const kNamespaceTypes[] = {"pid", "network", "mount", "ipc", "uts", "user", "cgroup"};

}  // namespace

Spec parseSpec(const std::string& text, const std::string& bundleDir, const std::string& fileName) {
    Reader r{fileName};
    json j;
    try {
        j = jsonbytes::parse(text);
    } catch (const json::exception& e) {
        r.fail(std::string("invalid JSON: ") + e.what());
    }
    if (!j.is_object()) r.fail("top level must be an object");
    Spec s;
    s.ociVersion = r.get<std::string>(j, "ociVersion", "");
    if (s.ociVersion.empty()) r.fail("ociVersion is required");

    const json* root = r.obj(j, "root", "");
    if (!root) r.fail("root is required");
    s.rootPath = r.get<std::string>(*root, "path", "root");
    if (s.rootPath.empty()) r.fail("root.path is required");
    if (s.rootPath[0] != '/') s.rootPath = fsutil::join(bundleDir, s.rootPath);
    s.rootReadonly = r.get<bool>(*root, "readonly", "root");

    const json* p = r.obj(j, "process", "");
    if (!p) r.fail("process is required");
    Process& pr = s.process;
    pr.terminal = r.get<bool>(*p, "terminal", "process");
    if (const json* u = r.obj(*p, "user", "process")) {
        pr.uid = r.get<uint32_t>(*u, "uid", "process.user");
        pr.gid = r.get<uint32_t>(*u, "gid", "process.user");
        if (u->contains("umask") && !(*u)["umask"].is_null())
            pr.umask = r.get<uint32_t>(*u, "umask", "process.user");
        pr.additionalGids = r.get<std::vector<uint32_t>>(*u, "additionalGids", "process.user");
    }
    pr.args = r.get<std::vector<std::string>>(*p, "args", "process");
    if (pr.args.empty() || pr.args[0].empty()) r.fail("process.args must name a command");
    pr.env = r.get<std::vector<std::string>>(*p, "env", "process");
    pr.cwd = r.get<std::string>(*p, "cwd", "process");
    if (pr.cwd.empty() || pr.cwd[0] != '/') r.fail("process.cwd must be an absolute path, got \"" + pr.cwd + "\"");
    pr.noNewPrivileges = r.get<bool>(*p, "noNewPrivileges", "process");
    if (p->contains("oomScoreAdj")) pr.oomScoreAdj = r.get<int>(*p, "oomScoreAdj", "process");
    if (const json* an = r.obj(j, "annotations", ""))
        pr.keepOriginalGroups = an->value("run.oci.keep_original_groups", "") == "1";
    if (const json* c = r.obj(*p, "capabilities", "process")) {
        Capabilities caps;
        using V = std::vector<std::string>;
        caps.bounding = r.get<V>(*c, "bounding", "process.capabilities");
        caps.effective = r.get<V>(*c, "effective", "process.capabilities");
        caps.permitted = r.get<V>(*c, "permitted", "process.capabilities");
        caps.inheritable = r.get<V>(*c, "inheritable", "process.capabilities");
        caps.ambient = r.get<V>(*c, "ambient", "process.capabilities");
        pr.capabilities = std::move(caps);
    }
    if (const json* a = r.arr(*p, "rlimits", "process"))
        for (const auto& rl : *a)
            pr.rlimits.push_back({r.get<std::string>(rl, "type", "process.rlimits"),
                                  r.get<uint64_t>(rl, "soft", "process.rlimits"),
                                  r.get<uint64_t>(rl, "hard", "process.rlimits")});

    s.hostname = r.get<std::string>(j, "hostname", "");
    s.domainname = r.get<std::string>(j, "domainname", "");

    if (const json* a = r.arr(j, "mounts", ""))
        for (const auto& m : *a) {
            Mount mt{r.get<std::string>(m, "destination", "mounts[]"), r.get<std::string>(m, "type", "mounts[]"),
                     r.get<std::string>(m, "source", "mounts[]"),
                     r.get<std::vector<std::string>>(m, "options", "mounts[]")};
            if (mt.destination.empty() || mt.destination[0] != '/')
                r.fail("mounts[].destination must be absolute, got \"" + mt.destination + "\"");
            s.mounts.push_back(std::move(mt));
        }

    if (const json* l = r.obj(j, "linux", "")) {
        if (const json* a = r.arr(*l, "namespaces", "linux"))
            for (const auto& n : *a) {
                Namespace ns{r.get<std::string>(n, "type", "linux.namespaces[]"),
                             r.get<std::string>(n, "path", "linux.namespaces[]")};
                bool known = false;
                for (const char* t : kNamespaceTypes) known |= ns.type == t;
                if (!known) r.fail("linux.namespaces: unknown type \"" + ns.type + "\"");
                if (!ns.path.empty() && ns.type != "network" && ns.type != "ipc" && ns.type != "uts" && ns.type != "pid")
                    r.fail("linux.namespaces: joining an existing " + ns.type + " namespace (path \"" + ns.path +
                           "\") is not supported; only network, ipc, uts and pid namespaces can be joined");
                if (!ns.path.empty() && ns.path[0] != '/')
                    r.fail("linux.namespaces[].path must be absolute, got \"" + ns.path + "\"");
                s.namespaces.push_back(std::move(ns));
            }
        s.uidMappings = r.mappings(*l, "uidMappings");
        s.gidMappings = r.mappings(*l, "gidMappings");
        if (const json* a = r.arr(*l, "devices", "linux"))
            for (const auto& d : *a) {
                Device dv;
                dv.path = r.get<std::string>(d, "path", "linux.devices[]");
                dv.type = r.get<std::string>(d, "type", "linux.devices[]");
                dv.major = r.get<int64_t>(d, "major", "linux.devices[]");
                dv.minor = r.get<int64_t>(d, "minor", "linux.devices[]");
                if (d.contains("fileMode")) dv.fileMode = r.get<uint32_t>(d, "fileMode", "linux.devices[]");
                if (d.contains("uid")) dv.uid = r.get<uint32_t>(d, "uid", "linux.devices[]");
                if (d.contains("gid")) dv.gid = r.get<uint32_t>(d, "gid", "linux.devices[]");
                if (dv.path.empty() || dv.path[0] != '/') r.fail("linux.devices[].path must be absolute");
                if (dv.type != "c" && dv.type != "u" && dv.type != "b" && dv.type != "p")
                    r.fail("linux.devices[].type must be c, u, b or p, got \"" + dv.type + "\"");
                s.devices.push_back(std::move(dv));
            }
        s.maskedPaths = r.get<std::vector<std::string>>(*l, "maskedPaths", "linux");
        s.readonlyPaths = r.get<std::vector<std::string>>(*l, "readonlyPaths", "linux");
        if (const json* sc = r.obj(*l, "sysctl", "linux"))
            for (const auto& [k, v] : sc->items()) {
                if (!v.is_string()) r.fail("linux.sysctl." + k + ": must be a string");
                s.sysctl.emplace_back(k, v.get<std::string>());
            }
        s.rootfsPropagation = r.get<std::string>(*l, "rootfsPropagation", "linux");
        if (const json* sc = r.obj(*l, "seccomp", "linux")) s.seccomp = parseSeccomp(*sc, fileName);
        s.cgroupsPath = r.get<std::string>(*l, "cgroupsPath", "linux");
        if (const json* res = r.obj(*l, "resources", "linux"))
            if (const json* pids = r.obj(*res, "pids", "linux.resources"))
                s.pidsLimit = r.get<int64_t>(*pids, "limit", "linux.resources.pids");
        if (!s.cgroupsPath.empty() && (s.cgroupsPath[0] != '/' || s.cgroupsPath.find("..") != std::string::npos))
            r.fail("linux.cgroupsPath must be an absolute cgroup path without \"..\", got \"" + s.cgroupsPath + "\"");
    }
    bool hasUserNs = s.hasNamespace("user");
    if (hasUserNs && (s.uidMappings.empty() || s.gidMappings.empty()))
        r.fail("linux.namespaces has a user namespace but linux.uidMappings/gidMappings are empty");
    return s;
}

Spec loadSpec(const std::string& bundleDir) {
    std::string path = fsutil::join(bundleDir, "config.json");
    return parseSpec(fsutil::readFile(path), bundleDir, path);
}

}  // namespace hutch::runtime
