// hutch error hierarchy. See README "Error handling".
//
// Rule: low-level syscall helpers return a result carrying errno (SysResult) where the
// caller must branch on it; everything above throws one of the types below, adding
// context on the way up with Error::wrap / the `context` argument. The CLI maps them to
// podman's exit codes (125 engine error; 126/127 for a container command that cannot be
// invoked / is not found; otherwise the container's own code).
#pragma once

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>
#include <utility>

namespace hutch {

/// Base of every error hutch throws. what() is the full, user-facing message.
class Error : public std::runtime_error {
public:
    explicit Error(const std::string& msg) : std::runtime_error(msg) {}
};

/// A named object (image, container, layer, volume, file) does not exist.
class NotFound : public Error {
public:
    using Error::Error;
};

/// A named object already exists (container name in use, ...).
class AlreadyExists : public Error {
public:
    using Error::Error;
};

/// Bad user input: a flag value, an image reference, a command line. Exit code 125.
class InvalidArgument : public Error {
public:
    using Error::Error;
};

/// A configuration file is invalid. `file` and `line` (0 = unknown) locate it; the message
/// already starts with "file:line: ".
class ConfigError : public Error {
public:
    ConfigError(std::string file, int line, const std::string& msg)
        : Error(file + (line > 0 ? ":" + std::to_string(line) : std::string()) + ": " + msg),
          file_(std::move(file)), line_(line) {}
    const std::string& file() const { return file_; }
    int line() const { return line_; }

private:
    std::string file_;
    int line_;
};

/// The registry answered with an error (HTTP status and, when the body had one, the
/// distribution-spec error code such as MANIFEST_UNKNOWN). status 0 = transport failure.
class RegistryError : public Error {
public:
    RegistryError(int status, std::string code, const std::string& msg)
        : Error(msg), status_(status), code_(std::move(code)) {}
    int status() const { return status_; }
    const std::string& code() const { return code_; }

private:
    int status_;
    std::string code_;
};

/// Authentication failed or credentials are missing/invalid (HTTP 401/403).
class AuthError : public RegistryError {
public:
    AuthError(int status, const std::string& msg) : RegistryError(status, "UNAUTHORIZED", msg) {}
};

/// Content did not match its digest. Nothing of it may enter the store.
class DigestMismatch : public Error {
public:
    using Error::Error;
};

/// A system call failed. `err` is the errno; the message ends with strerror(err).
class SysError : public Error {
public:
    SysError(int err, const std::string& what)
        : Error(what + ": " + std::strerror(err)), err_(err) {}
    int err() const { return err_; }

private:
    int err_;
};

/// The container's command could not be started. exitCode is 126 (cannot invoke) or
/// 127 (not found), as podman reports them.
class CommandError : public Error {
public:
    CommandError(int exitCode, const std::string& msg) : Error(msg), exitCode_(exitCode) {}
    int exitCode() const { return exitCode_; }

private:
    int exitCode_;
};

/// Throws SysError(errno, what) when `rc` is -1; returns rc otherwise.
template <typename T>
inline T checkSys(T rc, const std::string& what) {
    if (rc == static_cast<T>(-1)) throw SysError(errno, what);
    return rc;
}

/// Result of a low-level operation that callers branch on: ok, or an errno value.
struct SysResult {
    int err = 0;  ///< 0 on success, else the errno of the failed call
    explicit operator bool() const { return err == 0; }
    static SysResult fromRc(long rc) { return SysResult{rc == -1 ? errno : 0}; }
};

}  // namespace hutch
