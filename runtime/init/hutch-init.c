/* hutch-init: the container's PID 1 for `run --init` (bind-mounted on /run/podman-init).
 *
 *   hutch-init [--] COMMAND [ARG...]
 *
 * Runs COMMAND as its child, forwards the signals it receives to it, reaps every child that
 * ends (orphans reparented to it included), and exits with COMMAND's status: its exit code,
 * or 128+N when signal N killed it. 127/126 when COMMAND cannot be run (not found / not
 * executable). Static and libc-only, so it runs in any image. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static int statusCode(int st) {
    if (WIFEXITED(st)) return WEXITSTATUS(st);
    if (WIFSIGNALED(st)) return 128 + WTERMSIG(st);
    return 1;
}

int main(int argc, char** argv) {
    int first = 1;
    if (first < argc && strcmp(argv[first], "--") == 0) ++first;
    if (first >= argc) {
        fprintf(stderr, "hutch-init: usage: hutch-init [--] COMMAND [ARG...]\n");
        return 125;
    }
    /* Orphans come to us even when we are not PID 1 (--pid host). */
    prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);

    sigset_t all, old;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, &old);

    pid_t child = fork();
    if (child < 0) {
        perror("hutch-init: fork");
        return 125;
    }
    if (child == 0) {
        sigprocmask(SIG_SETMASK, &old, NULL);
        execvp(argv[first], argv + first);
        int err = errno;
        fprintf(stderr, "hutch-init: %s: %s\n", argv[first], strerror(err));
        _exit(err == ENOENT ? 127 : 126);
    }

    for (;;) {
        siginfo_t info;
        int sig = sigwaitinfo(&all, &info);
        if (sig < 0) {
            if (errno == EINTR) continue;
            perror("hutch-init: sigwaitinfo");
            return 125;
        }
        if (sig != SIGCHLD) {
            /* Job control stops from a terminal are not ours to obey. */
            if (sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU) continue;
            kill(child, sig);
            continue;
        }
        for (;;) {
            int st;
            pid_t p = waitpid(-1, &st, WNOHANG);
            if (p <= 0) break;
            if (p == child) return statusCode(st);
        }
    }
}
