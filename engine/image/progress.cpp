#include "hutch/engine/image/progress.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <vector>

#include <fmt/format.h>

namespace hutch::engine {
namespace {

std::string human(uint64_t b) {
    const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = static_cast<double>(b);
    int u = 0;
    while (v >= 1024 && u < 4) {
        v /= 1024;
        ++u;
    }
    return u == 0 ? fmt::format("{}B", b) : fmt::format("{:.1f}{}", v, units[u]);
}

void out(const std::string& s) {
    ssize_t rc = ::write(2, s.data(), s.size());
    (void)rc;
}

class QuietProgress final : public Progress {
public:
    void message(std::string_view) override {}
    void blobStart(const std::string&, int64_t) override {}
    void blobProgress(const std::string&, uint64_t) override {}
    void blobDone(const std::string&, bool) override {}
};

class PlainProgress final : public Progress {
public:
    void message(std::string_view line) override {
        std::lock_guard g(mu_);
        out(std::string(line) + "\n");
    }
    void blobStart(const std::string& d, int64_t) override {
        std::lock_guard g(mu_);
        out("Copying blob " + d + "\n");
    }
    void blobProgress(const std::string&, uint64_t) override {}
    void blobDone(const std::string& d, bool skipped) override {
        std::lock_guard g(mu_);
        if (skipped) out("Copying blob " + d + " skipped: already exists\n");
    }

private:
    std::mutex mu_;
};

// One line per blob, redrawn with cursor movement; at most ~10 redraws a second.
class TtyProgress final : public Progress {
public:
    void message(std::string_view line) override {
        std::lock_guard g(mu_);
        out(std::string(line) + "\n");
        drawn_ = 0;
        order_.clear();
        blobs_.clear();
    }
    void blobStart(const std::string& d, int64_t size) override {
        std::lock_guard g(mu_);
        blobs_[d] = {size, 0, false, false};
        order_.push_back(d);
        redraw(true);
    }
    void blobProgress(const std::string& d, uint64_t bytes) override {
        std::lock_guard g(mu_);
        blobs_[d].done = bytes;
        redraw(false);
    }
    void blobDone(const std::string& d, bool skipped) override {
        std::lock_guard g(mu_);
        auto& b = blobs_[d];
        b.finished = true;
        b.skipped = skipped;
        if (std::find(order_.begin(), order_.end(), d) == order_.end()) order_.push_back(d);
        redraw(true);
    }

private:
    struct Blob {
        int64_t size;
        uint64_t done;
        bool finished, skipped;
    };
    void redraw(bool force) {
        auto now = std::chrono::steady_clock::now();
        if (!force && now - last_ < std::chrono::milliseconds(100)) return;
        last_ = now;
        std::string s;
        if (drawn_ > 0) s += fmt::format("\x1b[{}A", drawn_);
        for (const auto& d : order_) {
            const Blob& b = blobs_[d];
            std::string shortD = d.substr(d.find(':') + 1, 12);
            std::string state;
            if (b.skipped)
                state = "skipped: already exists";
            else if (b.finished)
                state = "done";
            else if (b.size > 0) {
                int w = 30;
                int fill = static_cast<int>(w * static_cast<double>(b.done) / static_cast<double>(b.size));
                if (fill > w) fill = w;
                state = fmt::format("[{}{}] {} / {}", std::string(fill, '='), std::string(w - fill, ' '),
                                    human(b.done), human(static_cast<uint64_t>(b.size)));
            } else
                state = human(b.done);
            s += fmt::format("\x1b[2KCopying blob {} {}\n", shortD, state);
        }
        drawn_ = static_cast<int>(order_.size());
        out(s);
    }
    std::mutex mu_;
    std::map<std::string, Blob> blobs_;
    std::vector<std::string> order_;
    int drawn_ = 0;
    std::chrono::steady_clock::time_point last_{};
};

}  // namespace

std::unique_ptr<Progress> Progress::forStderr(bool quiet) {
    if (quiet) return std::make_unique<QuietProgress>();
    if (::isatty(2)) return std::make_unique<TtyProgress>();
    return std::make_unique<PlainProgress>();
}

}  // namespace hutch::engine
