// engine::normalizeLocalName: libimage NormalizeName as `tag`/`untag` apply it.
#include <catch2/catch.hpp>

#include "hutch/common/error.hpp"
#include "hutch/engine/image/tag.hpp"

using hutch::InvalidArgument;
using hutch::engine::normalizeLocalName;

TEST_CASE("normalizeLocalName qualifies short names with localhost and adds latest", "[tag]") {
    CHECK(normalizeLocalName("foo") == "localhost/foo:latest");
    CHECK(normalizeLocalName("bar:1") == "localhost/bar:1");
    CHECK(normalizeLocalName("library/foo") == "localhost/library/foo:latest");
    CHECK(normalizeLocalName("localhost/foo") == "localhost/foo:latest");
    CHECK(normalizeLocalName("quay.io/x/y:2") == "quay.io/x/y:2");
    CHECK(normalizeLocalName("docker.io/bb") == "docker.io/library/bb:latest");
    CHECK(normalizeLocalName("127.0.0.1:5000/a/b") == "127.0.0.1:5000/a/b:latest");
}

TEST_CASE("normalizeLocalName refuses digests and invalid names as podman words it", "[tag]") {
    auto message = [](const std::string& n) {
        try {
            normalizeLocalName(n);
        } catch (const InvalidArgument& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    CHECK(message("BAD:x") == "normalizing name \"BAD:x\": normalizing name \"BAD:x\": repository name must be lowercase");
    CHECK(message("x y") == "normalizing name \"x y\": normalizing name \"x y\": invalid reference format");
    CHECK(message("sha256:" + std::string(64, 'a')) == "sha256:" + std::string(64, 'a') + ": tag by digest not supported");
    CHECK(message("x@sha256:" + std::string(64, 'a')).find("tag by digest not supported") != std::string::npos);
}
