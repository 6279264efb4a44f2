// engine/system_check: each rootless-readiness check on fake inputs (files, facts), and
// search's result-count arithmetic.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "hutch/common/fsutil.hpp"
#include "hutch/engine/image/search.hpp"
#include "hutch/engine/system_check.hpp"

using namespace hutch;
using namespace hutch::engine;

namespace {

struct Dir {
    std::string path;
    Dir() {
        char t[] = "/tmp/hutch-syscheck-XXXXXX";
        REQUIRE(::mkdtemp(t));
        path = t;
    }
    ~Dir() { fsutil::removeAll(path); }
    std::string write(const std::string& name, const std::string& text) const {
        std::string p = path + "/" + name;
        fsutil::writeFileAtomic(p, text);
        return p;
    }
};

bool has(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("subuid/subgid: 65536 ids pass; none or too few give the usermod fix with a free range", "[engine][syscheck]") {
    Dir d;
    std::string subuid = d.write("subuid", "alice:100000:65536\nbob:165536:1000\n1003:300000:65536\n");
    std::string subgid = d.write("subgid", "alice:100000:65536\nbob:165536:1000\ncarol:166536:65536\n");
    auto a = checkSubIds("subuid", subuid, subgid, "alice", 1001);
    CHECK(a.status == CheckStatus::Ok);
    CHECK(has(a.detail, "100000-165535"));
    CHECK(a.fix.empty());
    // matched by uid too
    CHECK(checkSubIds("subuid", subuid, subgid, "dave", 1003).status == CheckStatus::Ok);

    auto b = checkSubIds("subuid", subuid, subgid, "bob", 1002);
    CHECK(b.status == CheckStatus::Problem);
    CHECK(has(b.detail, "only 1000 ids"));
    // free in both files: 166536 in subuid, but carol holds it in subgid: 232072
    CHECK(b.fix == "sudo usermod --add-subuids 232072-297607 bob && hutch system migrate");

    auto e = checkSubIds("subgid", subgid, subuid, "erin", 1005);
    CHECK(e.status == CheckStatus::Problem);
    CHECK(e.detail == "no range for erin in " + subgid);
    CHECK(e.fix == "sudo usermod --add-subgids 232072-297607 erin && hutch system migrate");
    CHECK(formatCheck(e) == "problem  subgid: no range for erin in " + subgid +
                                "; fix: sudo usermod --add-subgids 232072-297607 erin && hutch system migrate");

    // no files at all: the first range useradd would grant
    auto f = checkSubIds("subuid", d.path + "/none", d.path + "/none2", "frank", 1006);
    CHECK(f.fix == "sudo usermod --add-subuids 100000-165535 frank && hutch system migrate");
}

TEST_CASE("newuidmap/newgidmap: setuid root or file capabilities", "[engine][syscheck]") {
    CHECK(checkIdMapTool("newuidmap", "/usr/bin/newuidmap", S_IFREG | S_ISUID | 0755, 0, false).status == CheckStatus::Ok);
    CHECK(checkIdMapTool("newgidmap", "/usr/bin/newgidmap", S_IFREG | 0755, 0, true).status == CheckStatus::Ok);
    auto plain = checkIdMapTool("newuidmap", "/usr/bin/newuidmap", S_IFREG | 0755, 0, false);
    CHECK(plain.status == CheckStatus::Problem);
    CHECK(plain.fix == "sudo setcap cap_setuid+ep /usr/bin/newuidmap");
    CHECK(checkIdMapTool("newgidmap", "/x/newgidmap", S_IFREG | 0755, 0, false).fix == "sudo setcap cap_setgid+ep /x/newgidmap");
    // setuid but not root-owned does not help
    CHECK(checkIdMapTool("newuidmap", "/x/newuidmap", S_IFREG | S_ISUID | 0755, 1000, false).status == CheckStatus::Problem);
    auto missing = checkIdMapTool("newgidmap", "", 0, 0, false);
    CHECK(missing.status == CheckStatus::Problem);
    CHECK(missing.fix == "sudo apt-get install -y uidmap");
}

TEST_CASE("cgroup: delegated subtree, missing controllers, hybrid, v1 only", "[engine][syscheck]") {
    CgroupFacts f{"/sys/fs/cgroup", "/user.slice/user-1000.slice/user@1000.service/app.slice", true,
                  "cpuset cpu io memory pids\n"};
    auto good = checkCgroup(f, "alice", 1000);
    CHECK(good.status == CheckStatus::Ok);
    CHECK(has(good.detail, "/sys/fs/cgroup/user.slice/user-1000.slice/user@1000.service/app.slice"));

    f.controllers = "memory pids";
    auto partial = checkCgroup(f, "alice", 1000);
    CHECK(partial.status == CheckStatus::Note);
    CHECK(has(partial.detail, "not delegated: cpu"));
    CHECK(has(partial.fix, "Delegate=cpu cpuset io memory pids"));
    CHECK(has(partial.fix, "user@1000.service"));

    f.writable = false;
    auto ro = checkCgroup(f, "alice", 1000);
    CHECK(ro.status == CheckStatus::Problem);
    CHECK(has(ro.fix, "loginctl enable-linger alice"));
    CHECK(has(ro.fix, "-p Delegate=yes"));

    CgroupFacts hybrid{"/sys/fs/cgroup/unified", "/test/deleg", true, ""};
    auto h = checkCgroup(hybrid, "alice", 1000);
    CHECK(h.status == CheckStatus::Ok);
    CHECK(has(h.detail, "cgroup v1/hybrid"));

    auto v1 = checkCgroup(CgroupFacts{"", "", false, ""}, "alice", 1000);
    CHECK(v1.status == CheckStatus::Problem);
    CHECK(has(v1.fix, "mount -t cgroup2"));
}

TEST_CASE("network: /dev/net/tun and slirp4netns or pasta", "[engine][syscheck]") {
    CHECK(checkNetwork(true, true, "/usr/bin/pasta", "").status == CheckStatus::Ok);
    CHECK(checkNetwork(true, true, "", "/usr/bin/slirp4netns").status == CheckStatus::Ok);
    auto none = checkNetwork(true, true, "", "");
    CHECK(none.status == CheckStatus::Problem);
    CHECK(none.fix == "sudo apt-get install -y slirp4netns passt");
    CHECK(checkNetwork(false, false, "/p", "/s").status == CheckStatus::Problem);
    CHECK(checkNetwork(true, false, "/p", "/s").fix == "sudo chmod 0666 /dev/net/tun");
}

TEST_CASE("overlay: native in a user namespace from Linux 5.11, else a note", "[engine][syscheck]") {
    CHECK(checkOverlay("6.1.0-18-amd64", false, "").status == CheckStatus::Ok);
    CHECK(checkOverlay("5.11.0", false, "").status == CheckStatus::Ok);
    auto old = checkOverlay("5.10.0-28-amd64", true, "/usr/bin/fuse-overlayfs");
    CHECK(old.status == CheckStatus::Note);
    CHECK(has(old.detail, "vfs"));
    CHECK(has(old.detail, "/usr/bin/fuse-overlayfs"));
    CHECK(checkOverlay("garbage", false, "").status == CheckStatus::Note);
}

TEST_CASE("sysctls: unprivileged ports, user namespaces, AppArmor's userns restriction", "[engine][syscheck]") {
    CHECK(checkUnprivilegedPorts(std::string("0\n")).status == CheckStatus::Ok);
    auto ports = checkUnprivilegedPorts(std::string("1024\n"));
    CHECK(ports.status == CheckStatus::Note);
    CHECK(has(ports.detail, "below 1024"));
    CHECK(has(ports.fix, "net.ipv4.ip_unprivileged_port_start=80"));

    CHECK(checkUserNamespaces(std::string("63439\n"), std::nullopt).status == CheckStatus::Ok);
    CHECK(checkUserNamespaces(std::string("63439\n"), std::string("1\n")).status == CheckStatus::Ok);
    auto off = checkUserNamespaces(std::string("0\n"), std::nullopt);
    CHECK(off.status == CheckStatus::Problem);
    CHECK(off.fix == "echo 'user.max_user_namespaces=28633' | sudo tee /etc/sysctl.d/90-hutch-userns.conf && sudo sysctl --system");
    auto debian = checkUserNamespaces(std::string("63439\n"), std::string("0\n"));
    CHECK(debian.status == CheckStatus::Problem);
    CHECK(has(debian.fix, "kernel.unprivileged_userns_clone=1"));

    CHECK(checkAppArmorUserns(std::nullopt, {"/usr/bin/hutch"}).status == CheckStatus::Ok);
    CHECK(checkAppArmorUserns(std::string("0\n"), {"/usr/bin/hutch"}).status == CheckStatus::Ok);
    auto aa = checkAppArmorUserns(std::string("1\n"), {"/usr/local/bin/hutch", "/usr/local/libexec/hutch/hutch-runtime"});
    CHECK(aa.status == CheckStatus::Problem);
    CHECK(has(aa.fix, "profile hutch /usr/local/bin/hutch flags=(unconfined)"));
    CHECK(has(aa.fix, "profile hutch-runtime /usr/local/libexec/hutch/hutch-runtime flags=(unconfined)"));
    CHECK(has(aa.fix, "userns,"));
    CHECK(has(aa.fix, "sudo apparmor_parser -r /etc/apparmor.d/hutch"));
}

TEST_CASE("search keeps 25 results by default, the limit when set, none for a negative one", "[engine][search]") {
    CHECK(searchKeep(3, 0) == 3);
    CHECK(searchKeep(40, 0) == 25);
    CHECK(searchKeep(40, 30) == 30);
    CHECK(searchKeep(3, 30) == 3);
    CHECK(searchKeep(3, -1) == 0);
}
