// hutch-runtime: the embedded OCI runtime as its own small executable (runtime/ and common/
// only, no curl, libarchive or CLI parser), so that the process which clones every container
// and joins it for every exec starts in a fraction of the CLI's time and memory.
//   hutch-runtime run [--status-fd N] [--start-gate-fd N] [--pid-file F] [--seccomp-cache DIR] --bundle DIR ID
//   hutch-runtime exec --pid PID ...        (engine/container/exec.cpp builds the arguments)
#include <unistd.h>

#include <cstdio>

#include "hutch/runtime/runtime.hpp"

int main(int argc, char** argv) {
    int rc = hutch::runtime::runtimeMain(argc, argv);
    // _exit, not return: after `exec` joined the container's pid namespace, exit-time hooks
    // (LeakSanitizer's ptrace-based check in the ASan build) cannot see us from there and
    // would spin; the runtime has nothing left to flush but stdio.
    std::fflush(nullptr);
    _exit(rc);
}
