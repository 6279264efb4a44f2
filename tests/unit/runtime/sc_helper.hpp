// Test helper: a tiny static program `sc NR [ARG...]` that makes one raw syscall and prints
// "ok" or "errno=N" (busybox cannot make arbitrary syscalls). Built once per test process
// with gcc -static; "" when gcc or a static libc is missing.
#pragma once

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

namespace rtest {

inline std::string syscallHelper() {
    static const std::string path = [] {
        std::string dir = "/tmp/hutch-sc-" + std::to_string(::getpid());
        ::mkdir(dir.c_str(), 0755);
        std::ofstream(dir + "/sc.c") << R"(#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>
int main(int argc, char** argv) {
    long a[6] = {0};
    for (int i = 2; i < argc && i < 8; ++i) a[i - 2] = strtol(argv[i], 0, 0);
    long r = syscall(strtol(argv[1], 0, 0), a[0], a[1], a[2], a[3], a[4], a[5]);
    if (r < 0) printf("errno=%d\n", errno); else printf("ok\n");
    return 0;
}
)";
        std::string cmd = "gcc -static -O1 -o " + dir + "/sc " + dir + "/sc.c 2>/dev/null";
        if (std::system(cmd.c_str()) != 0) return std::string();
        return dir + "/sc";
    }();
    return path;
}

}  // namespace rtest
