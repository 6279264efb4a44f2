// engine/mountspec: -v, --mount and --tmpfs parsing (podman's syntax) and the OCI mounts.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "hutch/common/error.hpp"
#include "hutch/engine/spec/mountspec.hpp"

using namespace hutch;
using namespace hutch::engine;
using Opts = std::vector<std::string>;

namespace {

/// The message of the InvalidArgument `f` throws ("" when it does not throw).
template <typename F>
std::string errorOf(F f) {
    try {
        f();
    } catch (const InvalidArgument& e) {
        return e.what();
    }
    return "";
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("run -v: named volume, bind, anonymous, options", "[engine][mountspec]") {
    MountSpec v = parseVolumeFlag("data:/var/lib/data");
    CHECK(v.type == MountType::Volume);
    CHECK(v.source == "data");
    CHECK(v.destination == "/var/lib/data");
    CHECK_FALSE(v.readOnly);

    MountSpec b = parseVolumeFlag("/srv/www:/usr/share/www/:ro,z,noexec,nosuid,nodev,U");
    CHECK(b.type == MountType::Bind);
    CHECK(b.source == "/srv/www");
    CHECK(b.destination == "/usr/share/www");
    CHECK(b.readOnly);
    CHECK(b.chown);
    CHECK(b.options == Opts{"noexec", "nosuid", "nodev"});

    MountSpec rel = parseVolumeFlag("./here:/x");
    CHECK(rel.type == MountType::Bind);
    CHECK(rel.source == "./here");

    MountSpec anon = parseVolumeFlag("/cache");
    CHECK(anon.type == MountType::Volume);
    CHECK(anon.source.empty());
    CHECK(anon.destination == "/cache");

    // podman: two parts are always SRC:DST
    CHECK(contains(errorOf([] { parseVolumeFlag("/cache:ro"); }), "invalid container path \"ro\""));

    MountSpec nc = parseVolumeFlag("v:/etc:nocopy,exec,suid,dev,rshared");
    CHECK(nc.noCopy);
    CHECK(nc.options == Opts{"exec", "suid", "dev", "rshared"});
    CHECK(parseVolumeFlag("v:/a//b/./c/").destination == "/a/b/c");
}

TEST_CASE("run -v: bad input names the flag and the part", "[engine][mountspec]") {
    auto e = errorOf([] { parseVolumeFlag("foo:bar"); });
    CHECK(contains(e, "--volume \"foo:bar\""));
    CHECK(contains(e, "invalid container path \"bar\", must be an absolute path"));
    CHECK(contains(errorOf([] { parseVolumeFlag("a:/x:bogus"); }), "invalid option type \"bogus\""));
    CHECK(contains(errorOf([] { parseVolumeFlag("a:/x:ro,rw"); }), "can only specify 1 'rw' or 'ro' option"));
    CHECK(contains(errorOf([] { parseVolumeFlag(":/x"); }), "host directory cannot be empty"));
    CHECK(contains(errorOf([] { parseVolumeFlag("a:/x:ro:b"); }), "incorrect volume format"));
    CHECK(contains(errorOf([] { parseVolumeFlag("a/b:/x"); }), "names must match"));
    CHECK(contains(errorOf([] { parseVolumeFlag("/tmp:bar"); }), "invalid container path \"bar\""));
}

TEST_CASE("run --mount: the three types and their fields", "[engine][mountspec]") {
    MountSpec v = parseMountFlag("type=volume,source=tmp_ynh,target=/tmp");
    CHECK(v.type == MountType::Volume);
    CHECK(v.source == "tmp_ynh");
    CHECK(v.destination == "/tmp");

    MountSpec v2 = parseMountFlag("type=volume,src=x,dst=/d,ro,volume-nocopy,volume-opt=type=tmpfs,volume-opt=o=size=1M");
    CHECK(v2.readOnly);
    CHECK(v2.noCopy);
    CHECK(v2.volumeOptions.at("type") == "tmpfs");
    CHECK(v2.volumeOptions.at("o") == "size=1M");

    CHECK(parseMountFlag("type=volume,destination=/d,readonly=true").readOnly);
    CHECK_FALSE(parseMountFlag("type=volume,destination=/d,readonly=false").readOnly);
    CHECK(parseMountFlag("type=volume,destination=/d,ro=1").readOnly);
    CHECK(parseMountFlag("type=volume,destination=/d").source.empty());

    MountSpec b = parseMountFlag("type=bind,source=/h,target=/c,bind-propagation=rslave,noexec");
    CHECK(b.type == MountType::Bind);
    CHECK(b.options == Opts{"rbind", "noexec", "rslave"});
    CHECK(parseMountFlag("type=bind,src=/h,dst=/c,bind-nonrecursive").options == Opts{"bind"});

    MountSpec t = parseMountFlag("type=tmpfs,target=/scratch,tmpfs-size=64m,tmpfs-mode=1770,exec");
    CHECK(t.type == MountType::Tmpfs);
    CHECK(t.options == Opts{"rw", "noexec", "nosuid", "nodev", "exec", "size=64m", "mode=1770"});
}

TEST_CASE("run --mount: errors name the field", "[engine][mountspec]") {
    auto e = errorOf([] { parseMountFlag("type=volume,source=a,target=/x,bogus=1"); });
    CHECK(contains(e, "--mount \"type=volume,source=a,target=/x,bogus=1\""));
    CHECK(contains(e, "bogus: invalid mount option"));
    CHECK(contains(errorOf([] { parseMountFlag("type=foo,target=/x"); }), "invalid filesystem type \"foo\""));
    CHECK(contains(errorOf([] { parseMountFlag("src=a,dst=/x"); }), "incorrect mount format"));
    CHECK(contains(errorOf([] { parseMountFlag("type=volume,source=a"); }), "must set volume destination"));
    CHECK(contains(errorOf([] { parseMountFlag("type=volume,source=a,target=rel"); }),
                   "invalid container path \"rel\", must be an absolute path"));
    CHECK(contains(errorOf([] { parseMountFlag("type=volume,source=a,target=/x,ro=maybe"); }),
                   "ro=maybe: invalid boolean"));
    CHECK(contains(errorOf([] { parseMountFlag("type=bind,target=/x"); }), "type=bind needs source="));
    CHECK(contains(errorOf([] { parseMountFlag("type=bind,src=/a,target=/x,bind-propagation=foo"); }),
                   "invalid option type \"foo\""));
    CHECK(contains(errorOf([] { parseMountFlag("type=volume,src=a,target=/x,tmpfs-size=1m"); }),
                   "tmpfs-size: invalid mount option for type=volume"));
    CHECK(contains(errorOf([] { parseMountFlag("type=tmpfs,target=/x,tmpfs-size=abc"); }), "tmpfs-size=abc: invalid size"));
    CHECK(contains(errorOf([] { parseMountFlag("type=tmpfs,target=/x,tmpfs-mode=999"); }), "tmpfs-mode=999: invalid mode"));
    CHECK(contains(errorOf([] { parseMountFlag("type=volume,source=a/b,target=/x"); }), "names must match"));
    CHECK(contains(errorOf([] { parseMountFlag("type=volume,target=/x,volume-opt=foo=bar"); }),
                   "invalid mount option foo for driver 'local'"));
    CHECK(contains(errorOf([] { parseMountFlag("type=volume,target"); }), "target: needs a value"));
}

TEST_CASE("run --tmpfs: defaults, options, errors", "[engine][mountspec]") {
    MountSpec t = parseTmpfsFlag("/run/x");
    CHECK(t.type == MountType::Tmpfs);
    CHECK(t.destination == "/run/x");
    CHECK(t.options == Opts{"rw", "noexec", "nosuid", "nodev"});
    MountSpec e = parseTmpfsFlag("/x:exec,size=1M,mode=0700,uid=1000,gid=1000");
    CHECK(e.options == Opts{"rw", "noexec", "nosuid", "nodev", "exec", "size=1M", "mode=0700", "uid=1000", "gid=1000"});
    CHECK(parseTmpfsFlag("/x:ro").readOnly);
    CHECK(contains(errorOf([] { parseTmpfsFlag("rel"); }), "--tmpfs \"rel\": invalid container path \"rel\""));
    CHECK(contains(errorOf([] { parseTmpfsFlag("/x:bogus"); }), "unknown mount option \"bogus\""));
    CHECK(contains(errorOf([] { parseTmpfsFlag("/x:size=lots"); }), "unknown mount option \"size=lots\""));
}

TEST_CASE("duplicate destinations and volume names", "[engine][mountspec]") {
    std::vector<MountSpec> ms = {parseVolumeFlag("a:/x"), parseTmpfsFlag("/y"), parseMountFlag("type=volume,src=b,dst=/x/")};
    auto e = errorOf([&] { checkDuplicateDestinations(ms); });
    CHECK(contains(e, "\"/x\": duplicate mount destination"));
    CHECK(errorOf([&] { checkDuplicateDestinations({parseVolumeFlag("a:/x"), parseTmpfsFlag("/x/y")}); }).empty());

    CHECK(errorOf([] { checkVolumeName("tmp_ynh.1-a"); }).empty());
    CHECK(contains(errorOf([] { checkVolumeName("a/b"); }), "volume name \"a/b\""));
    CHECK_FALSE(errorOf([] { checkVolumeName("-a"); }).empty());
    CHECK_FALSE(errorOf([] { checkVolumeName(""); }).empty());
}

TEST_CASE("OCI mounts of parsed specs", "[engine][mountspec]") {
    auto b = ociMountFor(parseVolumeFlag("/h:/c:ro,noexec"), "/h");
    CHECK(b["type"] == "bind");
    CHECK(b["source"] == "/h");
    CHECK(b["destination"] == "/c");
    CHECK(b["options"] == nlohmann::json(Opts{"rbind", "noexec", "rprivate", "ro"}));

    auto v = ociMountFor(parseMountFlag("type=bind,src=/h,dst=/c,bind-propagation=shared"), "/h");
    CHECK(v["options"] == nlohmann::json(Opts{"rbind", "shared", "rw"}));

    auto t = ociMountFor(parseTmpfsFlag("/t:size=1M"), "");
    CHECK(t["type"] == "tmpfs");
    CHECK(t["source"] == "tmpfs");
    CHECK(t["options"] == nlohmann::json(Opts{"rw", "noexec", "nosuid", "nodev", "size=1M"}));

    CHECK(ociMountFor(parseTmpfsFlag("/t:ro"), "")["options"].back() == "ro");

    MountSpec round = MountSpec::fromJson(parseMountFlag("type=volume,src=x,dst=/d,ro,volume-opt=o=uid=1").toJson());
    CHECK(round.source == "x");
    CHECK(round.readOnly);
    CHECK(round.volumeOptions.at("o") == "uid=1");

    auto named = ociMountFor(parseVolumeFlag("v:/d"), "/vol/v/_data");
    CHECK(named["options"] == nlohmann::json(Opts{"rbind", "nosuid", "nodev", "rprivate", "rw"}));
    auto suid = ociMountFor(parseVolumeFlag("v:/d:suid,nodev"), "/vol/v/_data");
    CHECK(suid["options"] == nlohmann::json(Opts{"rbind", "suid", "nodev", "rprivate", "rw"}));
}

TEST_CASE("idmap: bind mounts only, without mappings, passed to the runtime", "[engine][mountspec]") {
    auto b = ociMountFor(parseVolumeFlag("/h:/c:idmap,ro"), "/h");
    CHECK(b["options"] == nlohmann::json(Opts{"rbind", "idmap", "rprivate", "ro"}));
    auto m = ociMountFor(parseMountFlag("type=bind,src=/h,dst=/c,idmap"), "/h");
    CHECK(m["options"] == nlohmann::json(Opts{"rbind", "idmap", "rprivate", "rw"}));
    CHECK(contains(errorOf([] { parseVolumeFlag("vol:/c:idmap"); }), "idmap is supported on bind mounts (a host path) only"));
    CHECK(contains(errorOf([] { parseVolumeFlag("/h:/c:idmap=uids=0-1-10"); }), "idmap takes no mappings here"));
    CHECK(contains(errorOf([] { parseMountFlag("type=volume,src=v,dst=/c,idmap"); }), "only for type=bind"));
    CHECK(contains(errorOf([] { parseMountFlag("type=bind,src=/h,dst=/c,idmap=uids=0-1-1"); }), "idmap takes no mappings here"));
}
