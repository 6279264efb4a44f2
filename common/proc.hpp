// Facts about processes from /proc.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

namespace hutch::proc {

/// Start time of a live process (field 22 of /proc/PID/stat, clock ticks since boot); 0 if it
/// does not exist or is a zombie. A (pid, start time) pair names a process across pid reuse.
uint64_t startTime(pid_t pid);

/// True when `pid` (> 0) is still the process that had `startTime` (!= 0): not gone, not reused.
bool sameProcess(pid_t pid, uint64_t startTime);

/// The absolute path of executable `name` found in $PATH, then /usr/bin, /usr/sbin, /bin,
/// /sbin; "" when there is none.
std::string findProgram(const std::string& name);

}  // namespace hutch::proc
