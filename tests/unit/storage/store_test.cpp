#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <thread>

#include "helpers.hpp"
#include "hutch/storage/paths.hpp"
#include "hutch/storage/store.hpp"

using namespace testutil;
using namespace hutch::storage;
namespace fs = hutch::fsutil;

namespace {

std::unique_ptr<Store> openStore(const TempDir& t) { return Store::open({t / "graph", t / "run", "vfs"}); }

std::string layerTar(const std::string& tag) { return TarBuilder().dir("etc").file("etc/" + tag, tag).finish(); }

Layer addLayer(Store& s, const std::string& id, const std::string& parent, const std::string& tag) {
    return s.createLayer(id, parent, reader(layerTar(tag)), std::nullopt, hutch::Digest::sha256Of(tag));
}

}  // namespace

TEST_CASE("store lifecycle: layers, images, names, containers, removal", "[store]") {
    TempDir t;
    auto s = openStore(t);
    CHECK(s->driverName() == "vfs");
    CHECK_FALSE(s->parallelLayerApply());
    Layer l1 = addLayer(*s, "l1", "", "one");
    CHECK_FALSE(l1.incomplete);
    CHECK(l1.size == layerTar("one").size());
    Layer l2 = addLayer(*s, "l2", "l1", "two");
    CHECK(s->layer("l2")->parent == "l1");
    CHECK(s->layer("l2")->diffId == l2.diffId);
    CHECK_THROWS_AS(addLayer(*s, "l3", "nope", "x"), hutch::NotFound);
    CHECK_FALSE(s->layer("l3"));

    std::string id1(64, 'a'), id2(64, 'b');
    s->createImage(id1, {"localhost/busybox:latest"}, "l2", "sha256:" + std::string(64, 'c'),
                   {{"manifest", "{\"m\":1}"}, {"config", "{\"c\":1}"}});
    CHECK(s->imageBigData(id1, "config") == "{\"c\":1}");
    CHECK(s->lookupImage("localhost/busybox:latest")->id == id1);
    CHECK(s->lookupImage("aaaa")->id == id1);
    CHECK(s->lookupImage("sha256:" + id1)->id == id1);
    CHECK_FALSE(s->lookupImage("zzz"));
    // same id again: names are added, no duplicate image
    s->createImage(id1, {"localhost/busybox:1"}, "l2", "", {});
    REQUIRE(s->images().size() == 1);
    CHECK(s->images()[0].names.size() == 2);
    // a name moving to a new image leaves the old one untagged (still present)
    s->createImage(id2, {"localhost/busybox:latest", "localhost/busybox:1"}, "l1", "", {});
    CHECK(s->lookupImage("localhost/busybox:latest")->id == id2);
    CHECK(s->lookupImage(id1)->names.empty());
    CHECK(s->images().size() == 2);
    s->setImageNames(id1, {"localhost/busybox:1"});
    CHECK(s->lookupImage("localhost/busybox:1")->id == id1);
    CHECK(s->lookupImage(id2)->names == std::vector<std::string>{"localhost/busybox:latest"});

    Container c = s->createContainer("c1", {"web"}, id1, "{}");
    CHECK(fs::readFile(s->containerRootfs("c1") + "/etc/one") == "one");
    CHECK(fs::readFile(s->containerRootfs("web") + "/etc/two") == "two");
    CHECK(fs::exists(s->containerDir("c1")));
    CHECK(fs::exists(s->containerRunDir("c1")));
    try {
        s->createContainer("c2", {"web"}, id1, "");
        FAIL("expected AlreadyExists");
    } catch (const hutch::AlreadyExists& e) {
        CHECK(std::string(e.what()).find("web") != std::string::npos);
    }
    s->setContainerMetadata("web", "{\"x\":2}");
    CHECK(s->lookupContainer("c1")->metadata == "{\"x\":2}");
    try {
        s->removeImage(id1);
        FAIL("expected an error");
    } catch (const hutch::Error& e) {
        CHECK(std::string(e.what()).find("c1") != std::string::npos);
    }
    // another process (fresh Store object) sees everything: no stale caches
    auto s2 = openStore(t);
    CHECK(s2->containers().size() == 1);
    s2->removeContainer("web");
    CHECK(s->containers().empty());
    CHECK_FALSE(fs::exists(t / "graph/vfs/dir/c1"));
    s->removeImage(id1);      // l2 only used by id1 -> removed; l1 still used by id2
    CHECK_FALSE(s->layer("l2"));
    CHECK(s->layer("l1"));
    CHECK_FALSE(fs::exists(t / "graph/vfs/dir/l2"));
    s->removeImage(id2);
    CHECK_FALSE(s->layer("l1"));
    CHECK(s->images().empty());
    CHECK_THROWS_AS(s->removeImage(id2), hutch::NotFound);
}

TEST_CASE("createLayer with a wrong diffID leaves nothing behind", "[store]") {
    TempDir t;
    auto s = openStore(t);
    CHECK_THROWS_AS(s->createLayer("bad", "", reader(layerTar("x")), hutch::Digest::sha256Of("nope"),
                                   hutch::Digest::sha256Of("x")),
                    hutch::DigestMismatch);
    CHECK_FALSE(s->layer("bad"));
    CHECK_FALSE(fs::exists(t / "graph/vfs/dir/bad"));
    // a broken stream also leaves nothing
    CHECK_THROWS(s->createLayer("bad", "", reader("garbage garbage"), std::nullopt, hutch::Digest::sha256Of("x")));
    CHECK_FALSE(s->layer("bad"));
    // then the right one succeeds
    auto tar = layerTar("x");
    Layer l = s->createLayer("bad", "", reader(tar), hutch::Digest::sha256Of(tar), hutch::Digest::sha256Of("x"));
    CHECK(l.diffId == hutch::Digest::sha256Of(tar));
}

TEST_CASE("two processes create images concurrently on one store", "[store][process]") {
    TempDir t;
    openStore(t);
    std::vector<pid_t> kids;
    for (int k = 0; k < 2; ++k) {
        pid_t pid = fork();
        REQUIRE(pid >= 0);
        if (pid == 0) {
            int rc = 0;
            try {
                auto s = openStore(t);
                for (int i = 0; i < 8; ++i) {
                    std::string tag = "p" + std::to_string(k) + "-" + std::to_string(i);
                    // both processes share the base layer; each has its own top layer
                    addLayer(*s, "base", "", "base");
                    addLayer(*s, tag, "base", tag);
                    s->createImage(std::string(60, 'a' + k) + std::to_string(1000 + i), {"localhost/" + tag}, tag, "", {{"config", tag}});
                }
            } catch (const std::exception& e) {
                fprintf(stderr, "child %d: %s\n", k, e.what());
                rc = 1;
            }
            _exit(rc);
        }
        kids.push_back(pid);
    }
    for (pid_t p : kids) {
        int st = 0;
        REQUIRE(waitpid(p, &st, 0) == p);
        CHECK(WIFEXITED(st));
        CHECK(WEXITSTATUS(st) == 0);
    }
    auto s = openStore(t);
    CHECK(s->images().size() == 16);
    for (int k = 0; k < 2; ++k)
        for (int i = 0; i < 8; ++i) {
            std::string tag = "p" + std::to_string(k) + "-" + std::to_string(i);
            auto img = s->lookupImage("localhost/" + tag);
            REQUIRE(img);
            CHECK(s->imageBigData(img->id, "config") == tag);
            auto l = s->layer(tag);
            REQUIRE(l);
            CHECK_FALSE(l->incomplete);
            CHECK(fs::readFile(t / ("graph/vfs/dir/" + tag + "/etc/" + tag)) == tag);
            CHECK(fs::readFile(t / ("graph/vfs/dir/" + tag + "/etc/base")) == "base");
        }
}

TEST_CASE("a process killed in the middle of createLayer is cleaned up by the next open", "[store][process]") {
    TempDir t;
    openStore(t);
    int pipefd[2];
    REQUIRE(pipe(pipefd) == 0);
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        close(pipefd[0]);
        try {
            auto s = openStore(t);
            std::string tar = TarBuilder().file("big", std::string(1 << 20, 'x')).finish();
            size_t pos = 0;
            s->createLayer("victim", "", [&](void* buf, size_t n) -> size_t {
                if (pos > tar.size() / 2) {
                    (void)!write(pipefd[1], "k", 1);  // half applied: tell the parent, then hang
                    pause();
                }
                size_t k = std::min(n, std::min<size_t>(4096, tar.size() - pos));
                memcpy(buf, tar.data() + pos, k);
                pos += k;
                return k;
            }, std::nullopt, hutch::Digest::sha256Of("x"));
        } catch (...) {
        }
        _exit(3);
    }
    close(pipefd[1]);
    char c;
    REQUIRE(read(pipefd[0], &c, 1) == 1);
    close(pipefd[0]);
    {
        // while the creator lives, its layer is incomplete and a new open does not touch it
        auto s = openStore(t);
        auto l = s->layer("victim");
        REQUIRE(l);
        CHECK(l->incomplete);
        CHECK(fs::exists(t / "graph/vfs/dir/victim"));
    }
    REQUIRE(kill(pid, SIGKILL) == 0);
    int st;
    REQUIRE(waitpid(pid, &st, 0) == pid);
    CHECK(WIFSIGNALED(st));
    auto s = openStore(t);
    CHECK_FALSE(s->layer("victim"));
    CHECK_FALSE(fs::exists(t / "graph/vfs/dir/victim"));
    auto tar = layerTar("again");
    Layer l = s->createLayer("victim", "", reader(tar), hutch::Digest::sha256Of(tar), hutch::Digest::sha256Of("x"));
    CHECK_FALSE(l.incomplete);
    CHECK(fs::readFile(t / "graph/vfs/dir/victim/etc/again") == "again");
}

TEST_CASE("records read again see another process's write, even of the same size at once", "[store][records]") {
    // readJson keeps the parse of a records file while the file's version (inode, generation,
    // size, times) is unchanged; a writer in another process replaces the file.
    TempDir t;
    auto s = openStore(t);
    addLayer(*s, "l1", "", "one");
    std::string id(64, 'a');
    s->createImage(id, {"localhost/name:aaaa"}, "l1", "", {{"config", "{}"}});
    REQUIRE(s->lookupImage("localhost/name:aaaa"));
    std::string file = paths::imagesJson(paths::Root{t / "graph", "vfs"});
    for (int round = 0; round < 50; ++round) {
        std::string from = round % 2 ? "bbbb" : "aaaa", to = round % 2 ? "aaaa" : "bbbb";
        pid_t pid = ::fork();
        REQUIRE(pid >= 0);
        if (pid == 0) {  // the other process: the same bytes but one name, as rename(2) puts them
            std::string text = fs::readFile(file);
            auto at = text.find("localhost/name:" + from);
            if (at == std::string::npos) _exit(2);
            text.replace(at + 15, 4, to);
            fs::writeFileAtomic(file, text, 0600);
            _exit(0);
        }
        int st = 0;
        REQUIRE(::waitpid(pid, &st, 0) == pid);
        REQUIRE(WIFEXITED(st));
        REQUIRE(WEXITSTATUS(st) == 0);
        CHECK(s->lookupImage("localhost/name:" + to));
        CHECK_FALSE(s->lookupImage("localhost/name:" + from));
    }
}
