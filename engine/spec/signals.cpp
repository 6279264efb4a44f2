#include "hutch/engine/spec/signals.hpp"

#include <csignal>
#include <cstdlib>
#include <map>

#include "hutch/common/error.hpp"

namespace hutch::engine {

int parseSignal(const std::string& in) {
    auto bad = [&] { return InvalidArgument("invalid signal: " + in); };
    if (in.empty()) throw bad();
    std::string s;
    for (char c : in) s.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
    if (s.rfind("SIG", 0) == 0) s = s.substr(3);
    auto number = [&](const std::string& t, int& out) {
        if (t.empty() || t.size() > 3) return false;
        for (char c : t)
            if (c < '0' || c > '9') return false;
        out = std::atoi(t.c_str());
        return true;
    };
    int n = 0;
    if (number(s, n)) {
        if (n < 1 || n > SIGRTMAX) throw bad();
        return n;
    }
    if (s.rfind("RTMIN", 0) == 0 || s.rfind("RTMAX", 0) == 0) {
        bool min = s.compare(0, 5, "RTMIN") == 0;
        std::string rest = s.substr(5);
        int off = 0;
        if (!rest.empty()) {
            if ((min && rest[0] != '+') || (!min && rest[0] != '-') || !number(rest.substr(1), off)) throw bad();
        }
        int sig = min ? SIGRTMIN + off : SIGRTMAX - off;
        if (sig < SIGRTMIN || sig > SIGRTMAX) throw bad();
        return sig;
    }
    static const std::map<std::string, int> names = {
        {"ABRT", SIGABRT}, {"ALRM", SIGALRM}, {"BUS", SIGBUS},   {"CHLD", SIGCHLD},     {"CLD", SIGCHLD},
        {"CONT", SIGCONT}, {"FPE", SIGFPE},   {"HUP", SIGHUP},   {"ILL", SIGILL},       {"INT", SIGINT},
        {"IO", SIGIO},     {"IOT", SIGIOT},   {"KILL", SIGKILL}, {"PIPE", SIGPIPE},     {"POLL", SIGPOLL},
        {"PROF", SIGPROF}, {"PWR", SIGPWR},   {"QUIT", SIGQUIT}, {"SEGV", SIGSEGV},     {"STKFLT", SIGSTKFLT},
        {"STOP", SIGSTOP}, {"SYS", SIGSYS},   {"TERM", SIGTERM}, {"TRAP", SIGTRAP},     {"TSTP", SIGTSTP},
        {"TTIN", SIGTTIN}, {"TTOU", SIGTTOU}, {"URG", SIGURG},   {"USR1", SIGUSR1},     {"USR2", SIGUSR2},
        {"VTALRM", SIGVTALRM}, {"WINCH", SIGWINCH}, {"XCPU", SIGXCPU}, {"XFSZ", SIGXFSZ}};
    auto it = names.find(s);
    if (it == names.end()) throw bad();
    return it->second;
}

}  // namespace hutch::engine
