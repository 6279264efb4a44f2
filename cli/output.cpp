#include <algorithm>
#include <cstdio>
#include <iostream>

#include <fmt/format.h>

#include "hutch/cli/cli.hpp"

namespace hutch::cli {
namespace {
std::vector<std::string> str_split(const std::string& s) {
    std::vector<std::string> out;
    size_t i = 0;
    for (;;) {
        auto j = s.find('.', i);
        out.push_back(s.substr(i, j == std::string::npos ? std::string::npos : j - i));
        if (j == std::string::npos) return out;
        i = j + 1;
    }
}
}  // namespace

void printTable(const std::vector<std::vector<std::string>>& rows, size_t minWidth) {
    std::vector<size_t> w;
    for (const auto& r : rows)
        for (size_t i = 0; i < r.size(); ++i) {
            if (w.size() <= i) w.push_back(0);
            w[i] = std::max(w[i], r[i].size());
        }
    std::string out;
    for (const auto& r : rows) {
        std::string line;
        for (size_t i = 0; i < r.size(); ++i) {
            line += r[i];
            if (i + 1 < r.size()) line += std::string(std::max(w[i] + 2, minWidth) - r[i].size(), ' ');
        }
        while (!line.empty() && line.back() == ' ') line.pop_back();
        out += line + "\n";
    }
    std::cout << out << std::flush;
}

std::string renderTemplate(const std::string& format, const nlohmann::json& fields) {
    std::string f = format;
    if (f.rfind("table ", 0) == 0) f = f.substr(6);
    std::string out;
    size_t i = 0;
    while (i < f.size()) {
        auto open = f.find("{{", i);
        if (open == std::string::npos) {
            out += f.substr(i);
            break;
        }
        out += f.substr(i, open - i);
        auto close = f.find("}}", open);
        if (close == std::string::npos) {
            out += f.substr(open);
            break;
        }
        std::string expr = f.substr(open + 2, close - open - 2);
        expr.erase(0, expr.find_first_not_of(' '));
        expr.erase(expr.find_last_not_of(' ') + 1);
        if (expr.rfind('.', 0) == 0) {
            const nlohmann::json* cur = &fields;
            for (const auto& part : str_split(expr.substr(1))) {
                if (cur->is_object() && cur->contains(part))
                    cur = &(*cur)[part];
                else {
                    cur = nullptr;
                    break;
                }
            }
            if (cur) out += cur->is_string() ? cur->get<std::string>() : cur->dump();
        }
        i = close + 2;
    }
    // Go templates turn \t and \n escapes written on the command line into characters.
    std::string res;
    for (size_t k = 0; k < out.size(); ++k) {
        if (out[k] == '\\' && k + 1 < out.size() && (out[k + 1] == 't' || out[k + 1] == 'n')) {
            res += out[k + 1] == 't' ? '\t' : '\n';
            ++k;
        } else
            res += out[k];
    }
    return res;
}

std::string humanSize(uint64_t bytes) {
    const char* units[] = {"B", "kB", "MB", "GB", "TB", "PB"};
    double v = static_cast<double>(bytes);
    int u = 0;
    while (v >= 1000 && u < 5) {
        v /= 1000;
        ++u;
    }
    // Three significant digits, trailing zeros dropped, as Go's %.4g of units.HumanSize.
    std::string s = fmt::format("{:.3g}", v);
    return s + " " + units[u];
}

void printJson(const nlohmann::json& j) { std::cout << j.dump(4) << std::endl; }

}  // namespace hutch::cli
