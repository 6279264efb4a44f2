#include <stdlib.h>

#include <catch2/catch.hpp>

#include "hutch/common/error.hpp"
#include "hutch/common/fsutil.hpp"
#include "hutch/conf/storage_conf.hpp"

using namespace hutch::conf;

TEST_CASE("storage.conf: driver, graphroot and runroot are read, other keys ignored", "[storageconf]") {
    auto c = parseStorageConf(R"(
[storage]
driver = "vfs"
graphroot = "/data/hutch"
runroot = "/run/user/1000/hutch"
rootless_storage_path = "$HOME/x"

[storage.options.overlay]
mountopt = "nodev"
)",
                              "/etc/test/storage.conf");
    CHECK(c.driver == "vfs");
    CHECK(c.graphRoot == "/data/hutch");
    CHECK(c.runRoot == "/run/user/1000/hutch");
    CHECK(c.source == "/etc/test/storage.conf");
    auto empty = parseStorageConf("", "e.conf");
    CHECK(empty.driver.empty());
    CHECK(empty.graphRoot.empty());
}

TEST_CASE("storage.conf: wrong types and syntax errors name the file, line and key", "[storageconf]") {
    auto msg = [](const std::string& text) {
        try {
            parseStorageConf(text, "/cfg/storage.conf");
        } catch (const hutch::ConfigError& e) {
            return std::string(e.what());
        }
        return std::string("(no error)");
    };
    CHECK(msg("[storage]\ndriver = 3\n") == "/cfg/storage.conf:2: storage.driver must be a string");
    CHECK(msg("[storage]\n\ngraphroot = [\"/a\"]\n") == "/cfg/storage.conf:3: storage.graphroot must be a string");
    CHECK(msg("storage = 1\n").find("/cfg/storage.conf:1: \"storage\" must be a table") == 0);
    CHECK(msg("[storage\n").find("/cfg/storage.conf:1:") == 0);
    CHECK(msg("[storage]\ngraphroot = \"rel/dir\"\n").find("must be absolute") != std::string::npos);
}

TEST_CASE("storage.conf location: CONTAINERS_STORAGE_CONF, else the user's file when rootless", "[storageconf]") {
    char dir[] = "/tmp/hutch-sconf-XXXXXX";
    REQUIRE(mkdtemp(dir));
    std::string d = dir;
    ::unsetenv("CONTAINERS_STORAGE_CONF");
    ::setenv("XDG_CONFIG_HOME", d.c_str(), 1);
    CHECK_FALSE(storageConfPath(true));
    hutch::fsutil::mkdirAll(d + "/containers");
    hutch::fsutil::writeFileAtomic(d + "/containers/storage.conf", "[storage]\n");
    CHECK(storageConfPath(true) == std::optional<std::string>(d + "/containers/storage.conf"));
    CHECK_FALSE(storageConfPath(false));  // rootful: never the user's file, never /etc's
    ::setenv("CONTAINERS_STORAGE_CONF", (d + "/missing.conf").c_str(), 1);
    CHECK_THROWS_AS(storageConfPath(true), hutch::NotFound);
    ::setenv("CONTAINERS_STORAGE_CONF", (d + "/containers/storage.conf").c_str(), 1);
    CHECK(storageConfPath(false) == std::optional<std::string>(d + "/containers/storage.conf"));
    ::unsetenv("CONTAINERS_STORAGE_CONF");
    ::unsetenv("XDG_CONFIG_HOME");
    hutch::fsutil::removeAll(d);
}
