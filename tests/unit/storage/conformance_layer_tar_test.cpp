// Runs every case of ../shared/conformance/layer-tar-cases (cases.json + tars/) against the
// layer applier. Each case's expectation (text in cases.json) is encoded in a checker below.
#include <dirent.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "helpers.hpp"

using namespace testutil;
namespace fs = hutch::fsutil;

namespace {

const std::string kDir = std::string(HUTCH_CONFORMANCE_DIR) + "/layer-tar-cases";

// Applies the tar file; returns the error message, or nullopt on success.
std::optional<std::string> applyTar(const std::string& root, const std::string& tarRel) {
    try {
        hutch::storage::applyLayer(root, reader(fs::readFile(kDir + "/" + tarRel), 1 << 20));
        return std::nullopt;
    } catch (const std::exception& e) {
        return std::string(e.what());
    }
}

bool isBreakout(const std::optional<std::string>& err) {
    return err && (err->find("breakout") != std::string::npos || err->find("escapes") != std::string::npos);
}

void listTree(const std::string& dir, const std::string& prefix, std::vector<std::string>& out) {
    DIR* d = opendir(dir.c_str());
    if (!d) return;
    while (dirent* e = readdir(d)) {
        std::string n = e->d_name;
        if (n == "." || n == "..") continue;
        struct stat st;
        lstat((dir + "/" + n).c_str(), &st);
        if (S_ISDIR(st.st_mode)) {
            out.push_back(prefix + n + "/");
            listTree(dir + "/" + n, prefix + n + "/", out);
        } else {
            out.push_back(prefix + n);
        }
    }
    closedir(d);
    std::sort(out.begin(), out.end());
}

std::vector<std::string> tree(const std::string& root) {
    std::vector<std::string> v;
    listTree(root, "", v);
    std::sort(v.begin(), v.end());
    return v;
}

std::string linkTarget(const std::string& p) {
    char buf[4096];
    ssize_t n = readlink(p.c_str(), buf, sizeof buf);
    return n < 0 ? "<not a symlink>" : std::string(buf, static_cast<size_t>(n));
}

bool anyFileHas(const std::string& dir, const std::string& content) {
    std::vector<std::string> v;
    listTree(dir, "", v);
    for (auto& f : v) {
        struct stat st;
        if (lstat((dir + "/" + f).c_str(), &st) == 0 && S_ISREG(st.st_mode) && fs::readFile(dir + "/" + f) == content)
            return true;
    }
    return false;
}

// Victim layout: parent/dest (root) and parent/victim/hello.
void victimCase(const nlohmann::json& c, bool mustSucceed) {
    TempDir t;
    std::string dest = t / "dest", victim = t / "victim";
    fs::mkdirAll(dest);
    fs::mkdirAll(victim);
    std::string hello = "hello-" + hutch::str::randomHex(16);
    writeFile(victim + "/hello", hello, 0644);
    auto err = applyTar(dest, c["tar"]);
    INFO("error: " << err.value_or("(none)"));
    if (mustSucceed)
        CHECK_FALSE(err);
    else if (err)
        CHECK(isBreakout(err));
    CHECK(tree(victim) == std::vector<std::string>{"hello"});
    CHECK(fs::readFile(victim + "/hello") == hello);
    struct stat st;
    REQUIRE(lstat((victim + "/hello").c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0644);
    CHECK_FALSE(anyFileHas(dest, hello));
}

void mkSym(const std::string& target, const std::string& at) { REQUIRE(::symlink(target.c_str(), at.c_str()) == 0); }

using Checker = std::function<void(const nlohmann::json&)>;

// Simple-root case: optional setup in `root`, apply, then check.
Checker rootCase(std::function<void(const std::string&)> setup, bool expectOk,
                 std::function<void(const std::string&)> check) {
    return [=](const nlohmann::json& c) {
        TempDir t;
        std::string root = t / "root";
        fs::mkdirAll(root);
        if (setup) setup(root);
        auto err = applyTar(root, c["tar"]);
        INFO("error: " << err.value_or("(none)"));
        CHECK(expectOk == !err.has_value());
        if (check) check(root);
    };
}

void etcPasswd(const std::string& root, const std::string& content = "inside") {
    fs::mkdirAll(root + "/etc");
    writeFile(root + "/etc/passwd", content);
}

Checker sameAsPasswd(const std::string& link, std::function<void(const std::string&)> setup = nullptr) {
    return rootCase(setup, true, [link](const std::string& r) {
        CHECK(sameInode(r, link, "etc/passwd"));
        CHECK(readIn(r, "etc/passwd") == "inside");
    });
}

Checker unbroken() {
    return rootCase(nullptr, true, [](const std::string& r) { CHECK(fs::readFile(r + "/etc/unbroken") == "unbroken"); });
}

Checker whiteoutInvalid() {
    return rootCase([](const std::string& r) { etcPasswd(r); }, false,
                    [](const std::string& r) { CHECK(fs::exists(r + "/etc/passwd")); });
}

void whiteoutSetup(const std::string& r, const char* linkTo, bool whitedout) {
    etcPasswd(r, "all users");
    if (whitedout) writeFile(r + "/etc/whitedout", "x");
    mkSym(linkTo, r + "/localetc");
}

Checker parentTraversal() {
    return [](const nlohmann::json& c) {
        TempDir t;
        std::string dest = t / "dest";
        fs::mkdirAll(dest);
        auto err = applyTar(dest, c["tar"]);
        INFO("error: " << err.value_or("(none)"));
        CHECK(isBreakout(err));
        CHECK(tree(t.path) == std::vector<std::string>{"dest/"});
    };
}

Checker invalidArchive(const std::string& needle) {
    return [needle](const nlohmann::json& c) {
               TempDir t;
               auto err = applyTar(t.path, c["tar"]);
               REQUIRE(err);
               CHECK(err->find(needle) != std::string::npos);
               CHECK(tree(t.path).empty());
           };
}

unsigned modeOf(const std::string& p) {
    struct stat st;
    if (lstat(p.c_str(), &st) != 0) return 0xffffffff;
    return st.st_mode & 07777;
}

std::map<std::string, Checker> checkers() {
    std::map<std::string, Checker> m;
    for (const char* id :
         {"cs-invalid-filename-dotdot", "cs-invalid-filename-slash-dotdot", "cs-invalid-hardlink-0-read-dotdot",
          "cs-invalid-hardlink-1-read-slash-dotdot", "cs-invalid-hardlink-2-write-through-hardlinked-dir",
          "cs-invalid-hardlink-3-read-hardlink-then-symlink", "cs-invalid-hardlink-4-read-hardlink-then-hardlink",
          "cs-invalid-hardlink-5-remove-victim-via-hardlink", "cs-invalid-symlink-0-read-dotdot",
          "cs-invalid-symlink-1-read-slash-dotdot", "cs-invalid-symlink-2-write-through-symlinked-dir",
          "cs-invalid-symlink-3-read-symlink-then-symlink", "cs-invalid-symlink-4-read-symlink-then-hardlink",
          "cs-invalid-symlink-5-remove-victim-via-symlink", "cs-invalid-symlink-6-write-newdir-through-nested-symlink"})
        m[id] = [](const nlohmann::json& c) { victimCase(c, false); };
    m["cs-hardlink-to-symlink"] = [](const nlohmann::json& c) { victimCase(c, true); };
    m["cs-selinux-label-xattr"] = [](const nlohmann::json& c) { victimCase(c, true); };
    m["cs-apply-layer-whiteouts"] = [](const nlohmann::json& c) {
        TempDir t;
        for (auto& layer : c["layers"]) {
            auto err = applyTar(t.path, layer["tar"]);
            INFO(layer["tar"].get<std::string>() << " error: " << err.value_or("(none)"));
            CHECK_FALSE(err);
            CHECK(tree(t.path) == layer["expected_tree_after"].get<std::vector<std::string>>());
        }
    };
    // vfs applies whiteouts by removal (no overlay char-dev format): foo stays absent.
    m["cs-nested-overlay-whiteouts"] = rootCase(nullptr, true, [](const std::string& r) { CHECK(tree(r).empty()); });
    m["mg-parent-traversal-0"] = parentTraversal();
    m["mg-parent-traversal-1"] = parentTraversal();
    m["mg-parent-traversal-2"] = parentTraversal();
    m["mg-sibling-prefix"] = [](const nlohmann::json& c) {
        TempDir t;
        fs::mkdirAll(t / "dest");
        fs::mkdirAll(t / "dest-evil");
        writeFile(t / "dest-evil/secret", "secret");
        applyTar(t / "dest", c["tar"]);
        CHECK_FALSE(fs::exists(t / "dest/grab"));
    };
    m["mg-absolute-hardlink"] = rootCase(nullptr, true, [](const std::string& r) {
        CHECK(sameInode(r, "usr/bin/perlbug", "usr/bin/perlthanks"));
        CHECK(readIn(r, "usr/bin/perlthanks") == "hello");
    });
    m["mg-symlink-chain-breakout"] = [](const nlohmann::json& c) {
        TempDir t;
        fs::mkdirAll(t / "dest");
        fs::mkdirAll(t / "victim");
        applyTar(t / "dest", c["tar"]);
        CHECK_FALSE(fs::exists(t / "victim/newfile"));
        CHECK(tree(t / "victim").empty());
    };
    m["mg-xglobal-no-parent"] = rootCase(nullptr, true, [](const std::string& r) { CHECK(tree(r).empty()); });
    m["mg-implied-directory-permissions"] = [](const nlohmann::json& c) {
        for (mode_t um : {022, 027}) {
            TempDir t;
            mode_t old = umask(um);
            auto err = applyTar(t.path, c["tar"]);
            umask(old);
            INFO("umask " << um << " error: " << err.value_or("(none)"));
            CHECK_FALSE(err);
            std::string r = t.path;
            CHECK(modeOf(r + "/deeply") == 0755);
            CHECK(modeOf(r + "/deeply/nested") == 0755);
            CHECK(modeOf(r + "/deeply/nested/and") == 0755);
            CHECK(modeOf(r + "/explicit") == 0644);
            CHECK(modeOf(r + "/explicit/permissions") == 0600);
            CHECK(modeOf(r + "/explicit/permissions/specified") == 0400);
            CHECK(modeOf(r + "/explicit/permissions/umask") == 0777);
            CHECK(modeOf(r + "/explicit/permissions/umask/file") == 0666);
        }
    };
    m["mg-parent-path-permissions"] = rootCase(nullptr, true, [](const std::string& r) {
        struct stat st;
        REQUIRE(lstat((r + "/foo").c_str(), &st) == 0);
        CHECK(S_ISDIR(st.st_mode));
        CHECK((st.st_mode & 07777) == 0755);
    });
    m["mg-implied-dirs-through-lower-symlink"] = [](const nlohmann::json& c) {
        TempDir t;
        for (auto& layer : c["layers"]) {
            auto err = applyTar(t.path, layer["tar"]);
            INFO("error: " << err.value_or("(none)"));
            CHECK_FALSE(err);
        }
        CHECK(linkTarget(t / "lib") == "usr/lib");
        CHECK(fs::readFile(t / "usr/lib/systemd/system/container.service") == "content");
    };
    for (bool variantA : {true, false}) {
        m[variantA ? "mg-untar-through-absolute-symlink" : "mg-untar-through-absolute-symlink#B"] =
            rootCase(
                [variantA](const std::string& r) {
                    fs::mkdirAll(r + "/var");
                    mkSym("/run", r + "/var/run");
                    if (variantA) fs::mkdirAll(r + "/run/existing");
                },
                true,
                [](const std::string& r) {
                    CHECK(fs::readFile(r + "/run/existing/non-existing/file") == "content");
                    CHECK(linkTarget(r + "/var/run") == "/run");
                });
    }
    m["mg-relative-escape-before-absolute-symlink"] = rootCase(
        [](const std::string& r) {
            fs::mkdirAll(r + "/target");
            mkSym("..", r + "/escape");
            mkSym("/target", r + "/absolute");
        },
        false, [](const std::string& r) { CHECK_FALSE(fs::exists(r + "/target/file")); });
    m["mg-hardlink-source-through-absolute-symlink"] = rootCase(
        [](const std::string& r) {
            fs::mkdirAll(r + "/var");
            mkSym("/run", r + "/var/run");
        },
        true,
        [](const std::string& r) {
            struct stat st;
            CHECK(sameInode(r, "run/source", "run/link"));
            REQUIRE(statIn(r, "run/link", &st));
            CHECK(st.st_nlink == 2);
            CHECK(fs::readFile(r + "/run/link") == "content");
        });
    m["mg-blockdev-major-overflow"] = invalidArchive("");
    m["mg-blockdev-minor-overflow"] = invalidArchive("");
    m["mg-overlay-invalid-whiteout-dotwhdot"] = invalidArchive("invalid whiteout entry");
    m["mg-overlay-invalid-whiteout-dotwhdotdot"] = invalidArchive("invalid whiteout entry");
    m["mg-overlay-invalid-whiteout-dotwhdotdotdot"] = invalidArchive("invalid whiteout entry");
    for (const char* id : {"cd-SymlinkAbsolute", "cd-SymlinkUpAndOut", "cd-SymlinkMultipleAbsolute", "cd-SymlinkMultipleRelative"})
        m[id] = unbroken();
    m["cd-SymlinkEmptyFile"] = rootCase(nullptr, true, [](const std::string& r) {
        CHECK(fs::readFile(r + "/etc/emptied").empty());
    });
    m["cd-HardlinkRelative"] = sameAsPasswd("breakouts/mypasswd");
    m["cd-HardlinkDownAndOut"] = sameAsPasswd("breakouts/mypasswd");
    for (const char* id : {"cd-HardlinkAbsolute", "cd-HardlinkRelativeLong", "cd-HardlinkRelativeUpAndOut",
                           "cd-HardlinkDirectRelative", "cd-HardlinkDirectAbsolute", "cd-SymlinkParentDirectory",
                           "cd-SymlinkEmptyFilename"})
        m[id] = sameAsPasswd("localpasswd");
    m["cd-SymlinkParentRelative"] = sameAsPasswd("localetc/localpasswd");
    m["cd-SymlinkSlashEnded"] = sameAsPasswd("localetc/localpasswd");
    auto overrideSetup = [](const std::string& r) {
        etcPasswd(r);
        fs::mkdirAll(r + "/localetc");
    };
    m["cd-SymlinkOverrideDirectory"] = sameAsPasswd("localetc/localpasswd", overrideSetup);
    m["cd-SymlinkOverrideDirectoryRelative"] = sameAsPasswd("localetc/localpasswd", overrideSetup);
    m["cd-DirectoryOverrideSymlink"] = sameAsPasswd("localetc/localpasswd", [](const std::string& r) {
        etcPasswd(r);
        mkSym("/etc", r + "/localetc");
    });
    m["cd-DirectoryOverrideSymlinkAndHardlink"] = rootCase(
        [](const std::string& r) {
            etcPasswd(r);
            mkSym("etc", r + "/localetc");
            REQUIRE(::link((r + "/etc/passwd").c_str(), (r + "/etc/localpasswd").c_str()) == 0);
        },
        true,
        [](const std::string& r) {
            struct stat st;
            REQUIRE(lstat((r + "/localetc").c_str(), &st) == 0);
            CHECK(S_ISDIR(st.st_mode));
            CHECK(fs::readFile(r + "/localetc/localpasswd") == "different");
            CHECK(fs::readFile(r + "/etc/passwd") == "inside");
            CHECK_FALSE(sameInode(r, "localetc/localpasswd", "etc/passwd"));
        });
    for (const char* id : {"cd-WhiteoutRootParent", "cd-WhiteoutParent", "cd-WhiteoutRoot", "cd-WhiteoutCurrentDirectory"})
        m[id] = whiteoutInvalid();
    m["cd-WhiteoutSymlink"] = rootCase([](const std::string& r) { whiteoutSetup(r, "/etc", false); }, true,
                                       [](const std::string& r) {
                                           CHECK_FALSE(fs::exists(r + "/localetc"));
                                           CHECK(fs::readFile(r + "/etc/passwd") == "all users");
                                       });
    m["cd-WhiteoutSymlinkPath"] = rootCase([](const std::string& r) { whiteoutSetup(r, "/etc", true); }, true,
                                           [](const std::string& r) {
                                               CHECK_FALSE(fs::exists(r + "/etc/whitedout"));
                                               CHECK(fs::readFile(r + "/etc/passwd") == "all users");
                                           });
    m["cd-WhiteoutDirectoryName"] = rootCase([](const std::string& r) { whiteoutSetup(r, "/etc", true); }, true,
                                             [](const std::string& r) {
                                                 CHECK(fs::readFile(r + "/.wh.etc/somefile") == "non-empty");
                                                 CHECK(fs::readFile(r + "/etc/passwd") == "all users");
                                             });
    m["cd-WhiteoutDeadSymlinkParent"] = rootCase([](const std::string& r) { whiteoutSetup(r, "/dne", false); }, true,
                                                 [](const std::string& r) {
                                                     CHECK(fs::readFile(r + "/etc/passwd") == "all users");
                                                 });
    m["cd-WhiteoutRelativePath"] = rootCase([](const std::string& r) { whiteoutSetup(r, "/dne", false); }, true,
                                            [](const std::string& r) { CHECK_FALSE(fs::exists(r + "/etc")); });
    m["cd-SymlinkOverridePath"] = [](const nlohmann::json& c) {
        std::string before;
        try {
            before = fs::readFile("/tmp/breakout-corpus");
        } catch (...) {
        }
        TempDir t;
        auto err = applyTar(t.path, c["tar"]);
        INFO("error: " << err.value_or("(none)"));
        CHECK_FALSE(err);
        std::string after;
        try {
            after = fs::readFile("/tmp/breakout-corpus");
        } catch (...) {
        }
        CHECK(after == before);
        CHECK(readIn(t.path, "foo/tmp/breakout-corpus") == std::string("\x06\x07\x08", 3));
    };
    m["cd-HardlinkSymlinkBeforeCreateTarget"] = rootCase(nullptr, true, [](const std::string& r) {
        CHECK(sameInode(r, "localpasswd-dup", "etc/passwd"));
        CHECK(readIn(r, "localpasswd-dup") == "after");
    });
    for (const char* id : {"cd-HardlinkSymlinkRelative", "cd-HardlinkSymlinkAbsolute"})
        m[id] = rootCase(nullptr, true, [](const std::string& r) {
            CHECK(linkTarget(r + "/localpasswd") == linkTarget(r + "/passwdlink"));
            CHECK(sameInode(r, "localpasswd", "etc/passwd"));
            CHECK(readIn(r, "localpasswd") == "inside");
        });
    m["cd-HardlinkSymlinkChmod"] = [](const nlohmann::json&) {
        TempDir host, t;
        writeFile(host / "perm400", "x", 0400);
        REQUIRE(chmod((host / "perm400").c_str(), 0400) == 0);
        writeFile(host / "also-exists-outside-root", "y", 0644);
        std::string tar = TarBuilder()
                              .symlink(host / "also-exists-outside-root", host / "perm400")
                              .hardlink("sketchylink", host / "also-exists-outside-root")
                              .finish();
        try {
            applyString(t.path, tar);
        } catch (...) {
        }
        CHECK(modeOf(host / "perm400") == 0400);
        CHECK(fs::readFile(host / "also-exists-outside-root") == "y");
    };
    m["cd-ApplyTar-DirectoryCreation"] = rootCase([](const std::string& r) { fs::mkdirAll(r + "/etc"); }, true,
                                                  [](const std::string& r) {
                                                      for (auto d : {"etc/subdir", "etc/subdir2", "etc/subdir2/more",
                                                                     "other/noparent-1/1", "other/noparent-2/2"}) {
                                                          INFO(d);
                                                          struct stat st;
                                                          CHECK((lstat((r + "/" + d).c_str(), &st) == 0 && S_ISDIR(st.st_mode)));
                                                      }
                                                  });
    return m;
}

}  // namespace

// Cases where hutch knowingly differs from the upstream expectation (kept visible: they run
// under [!mayfail], so they report but do not fail the suite):
//  - cd-SymlinkParentDirectory: an entry named ".." is a breakout error in hutch (as
//    mg-parent-traversal-0 requires); containerd neutralises it instead.
//  - mg-relative-escape-before-absolute-symlink: hutch resolves like RESOLVE_IN_ROOT, so a
//    ".." at the root clamps to the root and the file lands inside it (no escape, no error).
//  - cd-HardlinkRelativeUpAndOut: the symlink target "upandout/../../../etc" goes through a
//    missing directory; the kernel (openat2) does not resolve it, containerd cleans it lexically.
//  - cs-invalid-symlink-4-read-symlink-then-hardlink: refused, but with "target does not
//    exist" (resolved inside the root) rather than a breakout error.
const std::set<std::string> kKnownDivergences = {
    "cd-SymlinkParentDirectory", "mg-relative-escape-before-absolute-symlink", "cd-HardlinkRelativeUpAndOut",
    "cs-invalid-symlink-4-read-symlink-then-hardlink"};

void runCases(bool divergences) {
    auto cases = nlohmann::json::parse(fs::readFile(kDir + "/cases.json"));
    auto m = checkers();
    REQUIRE(cases.size() == 72);
    size_t ran = 0;
    for (auto& c : cases) {
        std::string id = c["id"];
        if (kKnownDivergences.count(id) != static_cast<size_t>(divergences)) continue;
        std::vector<std::string> ids{id};
        if (m.count(id + "#B")) ids.push_back(id + "#B");
        ++ran;
        for (auto& run : ids) {
            DYNAMIC_SECTION(run) {
                REQUIRE(m.count(run));
                m[run](c);
            }
        }
    }
    CHECK(ran == (divergences ? kKnownDivergences.size() : 72 - kKnownDivergences.size()));
}

TEST_CASE("layer-tar-cases conformance", "[conformance][applier]") { runCases(false); }

TEST_CASE("layer-tar-cases conformance: known divergences", "[conformance][applier][!mayfail]") { runCases(true); }
