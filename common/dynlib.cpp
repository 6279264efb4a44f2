#include "hutch/common/dynlib.hpp"

#include <dlfcn.h>

#include <map>
#include <mutex>

#include "hutch/common/error.hpp"

namespace hutch::dynlib {

void* open(const char* soname, const char* purpose, const char* package) {
    static std::mutex m;
    static std::map<std::string, void*> opened;
    std::lock_guard<std::mutex> lock(m);
    if (auto it = opened.find(soname); it != opened.end()) return it->second;
    // RTLD_NOW: a missing symbol fails here, with the library's name, not later at a call.
    void* h = ::dlopen(soname, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char* why = ::dlerror();
        throw Error(std::string(purpose) + " needs " + soname + " (apt-get install " + package +
                    "): " + (why ? why : "dlopen failed"));
    }
    opened.emplace(soname, h);
    return h;
}

void* symbol(void* handle, const char* soname, const char* name) {
    ::dlerror();
    void* p = ::dlsym(handle, name);
    if (!p) throw Error(std::string(soname) + " has no symbol " + name + ": the library is older than hutch needs");
    return p;
}

}  // namespace hutch::dynlib
