#include "hutch/common/ipc.hpp"

#include <unistd.h>

#include <cerrno>
#include <nlohmann/json.hpp>

#include "hutch/common/jsonbytes.hpp"

namespace hutch::ipc {

namespace {

using nlohmann::json;

void writeAll(int fd, const std::string& data) noexcept {
    for (size_t off = 0; off < data.size();) {
        ssize_t n = ::write(fd, data.data() + off, data.size() - off);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
        off += static_cast<size_t>(n);
    }
}

void sendLine(int fd, const json& j) noexcept {
    if (fd < 0) return;
    try {
        writeAll(fd, jsonbytes::dump(j) + "\n");
    } catch (...) {  // allocation: the reader sees EOF, the "nothing arrived" value
    }
    ::close(fd);
}

/// One line, without its newline; "" at EOF before any byte.
std::string readLine(int fd) {
    std::string line;
    char c;
    for (;;) {
        ssize_t n = ::read(fd, &c, 1);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0 || c == '\n') break;
        line.push_back(c);
    }
    return line;
}

}  // namespace

void send(int fd, const RuntimeStatus& m) noexcept {
    if (m.started)
        sendLine(fd, {{"pid", m.pid}});
    else
        sendLine(fd, {{"error", m.error}, {"stage", m.stage}, {"errno", m.err}, {"exitCode", m.exitCode}});
}

void send(int fd, const MonitorReply& m) noexcept {
    sendLine(fd, {{"ok", m.ok}, {"exitCode", m.exitCode}, {"error", m.error}, {"warning", m.warning}});
}

RuntimeStatus receiveRuntimeStatus(int fd) {
    std::string line = readLine(fd);
    RuntimeStatus st;
    if (line.empty()) return st;
    try {
        json j = jsonbytes::parse(line);
        if (j.contains("pid")) {
            st.started = true;
            st.pid = j.at("pid").get<pid_t>();
        } else {
            st.error = j.value("error", "unknown runtime error");
            st.stage = j.value("stage", "");
            st.err = j.value("errno", 0);
            st.exitCode = j.value("exitCode", 125);
        }
    } catch (const json::exception&) {
        st = {};
        st.error = "the runtime sent an invalid status line: " + line;
    }
    return st;
}

MonitorReply receiveMonitorReply(int fd) {
    std::string line = readLine(fd);
    MonitorReply r;
    if (line.empty()) return r;
    try {
        json j = jsonbytes::parse(line);
        r.ok = j.value("ok", false);
        r.exitCode = j.value("exitCode", 125);
        r.error = j.value("error", r.ok ? "" : "unknown error");
        r.warning = j.value("warning", "");
    } catch (const json::exception&) {
        r = {};
        r.error = "the container monitor sent an invalid reply: " + line;
    }
    return r;
}

void sendPid(int fd, pid_t pid) noexcept {
    if (fd < 0) return;
    ssize_t n;
    while ((n = ::write(fd, &pid, sizeof pid)) < 0 && errno == EINTR) {
    }
}

pid_t receivePid(int fd) {
    pid_t pid = -1;
    ssize_t n;
    while ((n = ::read(fd, &pid, sizeof pid)) < 0 && errno == EINTR) {
    }
    return n == static_cast<ssize_t>(sizeof pid) ? pid : -1;
}

}  // namespace hutch::ipc
