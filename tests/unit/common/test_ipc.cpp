// common/ipc: the messages between hutch processes survive the trip, EOF and garbage included.
#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>

#include "hutch/common/ipc.hpp"

using namespace hutch;

namespace {

struct Pipe {
    int r = -1, w = -1;
    Pipe() {
        int fds[2];
        REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
        r = fds[0];
        w = fds[1];
    }
    ~Pipe() {
        if (r >= 0) ::close(r);
        if (w >= 0) ::close(w);
    }
    void write(const std::string& s) {
        REQUIRE(::write(w, s.data(), s.size()) == static_cast<ssize_t>(s.size()));
        ::close(w);
        w = -1;
    }
};

}  // namespace

TEST_CASE("ipc: a runtime status goes through as sent, and send closes the fd", "[ipc]") {
    Pipe p;
    ipc::send(p.w, ipc::RuntimeStatus{false, 0, "exec", "caf\xe9: no such file", ENOENT, 127});
    p.w = -1;  // closed by send
    auto st = ipc::receiveRuntimeStatus(p.r);
    CHECK_FALSE(st.started);
    CHECK(st.stage == "exec");
    CHECK(st.error == "caf\xe9: no such file");  // not UTF-8, byte for byte
    CHECK(st.err == ENOENT);
    CHECK(st.exitCode == 127);

    Pipe q;
    ipc::send(q.w, ipc::RuntimeStatus{true, 4242, "", "", 0, 0});
    q.w = -1;
    auto ok = ipc::receiveRuntimeStatus(q.r);
    CHECK(ok.started);
    CHECK(ok.pid == 4242);
}

TEST_CASE("ipc: EOF without a line and a garbled line are failures, not crashes", "[ipc]") {
    Pipe eof;
    eof.write("");
    auto st = ipc::receiveRuntimeStatus(eof.r);
    CHECK_FALSE(st.started);
    CHECK(st.error.empty());
    CHECK(st.exitCode == 125);

    Pipe bad;
    bad.write("{\"pid\": \"x\"}\n");
    auto b = ipc::receiveRuntimeStatus(bad.r);
    CHECK_FALSE(b.started);
    CHECK(b.error.find("invalid status line") != std::string::npos);

    Pipe badReply;
    badReply.write("not json\n");
    auto r = ipc::receiveMonitorReply(badReply.r);
    CHECK_FALSE(r.ok);
    CHECK(r.error.find("invalid reply") != std::string::npos);
}

TEST_CASE("ipc: a monitor reply keeps its warning; pids go through as bytes", "[ipc]") {
    Pipe p;
    ipc::send(p.w, ipc::MonitorReply{true, 0, "", "no READY=1 in 90 s"});
    p.w = -1;
    auto r = ipc::receiveMonitorReply(p.r);
    CHECK(r.ok);
    CHECK(r.warning == "no READY=1 in 90 s");

    Pipe q;
    ipc::sendPid(q.w, 31337);
    ::close(q.w);
    q.w = -1;
    CHECK(ipc::receivePid(q.r) == 31337);
    CHECK(ipc::receivePid(q.r) == -1);  // EOF
}
