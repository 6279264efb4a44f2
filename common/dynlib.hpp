// Libraries loaded on first use (dlopen), so that commands which never need them (run, exec,
// ps, stop: the start-up path) do not pay their loading, relocation and resident pages.
// The pattern of systemd's dlopen_many_sym_or_warn(): a table of function pointers filled once.
#pragma once

#include <string>

namespace hutch::dynlib {

/// Opens `soname` (e.g. "libcurl.so.4") once per process and returns its handle; later calls
/// return the same handle. Throws Error naming the library, what needs it (`purpose`, e.g.
/// "registry access") and the Debian package to install (`package`) when it cannot be loaded.
void* open(const char* soname, const char* purpose, const char* package);

/// The address of `symbol` in `handle` (from open()). Throws Error naming the symbol and the
/// library when it is missing (a library older than the one hutch was built against).
void* symbol(void* handle, const char* soname, const char* symbol);

}  // namespace hutch::dynlib
