#include "hutch/runtime/sync.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "hutch/common/error.hpp"

namespace hutch::runtime {

SyncMsg SyncMsg::error(const char* stage, int err, int exitCode, const std::string& message) {
    SyncMsg m;
    m.type = MsgType::Error;
    m.err = err;
    m.exitCode = exitCode;
    std::strncpy(m.stage, stage, sizeof m.stage - 1);
    std::strncpy(m.message, message.c_str(), sizeof m.message - 1);
    return m;
}

std::pair<UniqueFd, UniqueFd> makeSyncPair() {
    int sv[2];
    checkSys(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), "socketpair for runtime sync");
    return {UniqueFd(sv[0]), UniqueFd(sv[1])};
}

int sendMsg(int sock, const SyncMsg& m, int fd) noexcept {
    struct iovec iov{const_cast<SyncMsg*>(&m), sizeof m};
    struct msghdr mh{};
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    alignas(struct cmsghdr) char cbuf[CMSG_SPACE(sizeof(int))] = {};
    if (fd >= 0) {
        mh.msg_control = cbuf;
        mh.msg_controllen = sizeof cbuf;
        struct cmsghdr* c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        std::memcpy(CMSG_DATA(c), &fd, sizeof fd);
    }
    for (;;) {
        ssize_t n = ::sendmsg(sock, &mh, MSG_NOSIGNAL);
        if (n == static_cast<ssize_t>(sizeof m)) return 0;
        if (n < 0 && errno == EINTR) continue;
        return n < 0 ? errno : EIO;
    }
}

int recvMsg(int sock, SyncMsg& m, int* fd) noexcept {
    if (fd) *fd = -1;
    struct iovec iov{&m, sizeof m};
    struct msghdr mh{};
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    alignas(struct cmsghdr) char cbuf[CMSG_SPACE(sizeof(int))] = {};
    mh.msg_control = cbuf;
    mh.msg_controllen = sizeof cbuf;
    ssize_t n;
    do n = ::recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
    while (n < 0 && errno == EINTR);
    if (n < 0) return errno == ECONNRESET ? 0 : -errno;
    if (n == 0) return 0;
    for (struct cmsghdr* c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
            int got;
            std::memcpy(&got, CMSG_DATA(c), sizeof got);
            if (fd) *fd = got;
            else ::close(got);
        }
    if (n != static_cast<ssize_t>(sizeof m)) return -EPROTO;
    m.stage[sizeof m.stage - 1] = 0;
    m.message[sizeof m.message - 1] = 0;
    return 1;
}

}  // namespace hutch::runtime
