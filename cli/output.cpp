#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <iostream>

#include <fmt/format.h>

#include "hutch/cli/cli.hpp"
#include "hutch/common/error.hpp"
#include "hutch/common/fd.hpp"
#include "hutch/common/fsutil.hpp"
#include "hutch/common/jsonbytes.hpp"

namespace hutch::cli {
namespace {

/// Turns the \t and \n escapes users type on a command line into tabs/newlines in the text
/// outside {{ }} (inside, Go string literals have their own escapes); with `table`, every
/// space becomes a column break (a tab) as podman does.
std::string normalize(const std::string& f, bool table) {
    std::string out;
    bool inAction = false;
    for (size_t k = 0; k < f.size(); ++k) {
        if (!inAction && f.compare(k, 2, "{{") == 0) inAction = true;
        if (inAction && f.compare(k, 2, "}}") == 0) {
            out += "}}";
            ++k;
            inAction = false;
            continue;
        }
        if (!inAction && f[k] == '\\' && k + 1 < f.size() && (f[k + 1] == 't' || f[k + 1] == 'n')) {
            out += f[k + 1] == 't' ? '\t' : '\n';
            ++k;
        } else
            out += table && f[k] == ' ' ? '\t' : f[k];
    }
    return out;
}

/// A field name as podman's report package heads its column: "ExitCode" -> "EXIT CODE",
/// "ImageID" -> "IMAGE ID".
std::string headerOf(const std::string& field) {
    std::string h;
    for (size_t i = 0; i < field.size(); ++i) {
        char c = field[i];
        bool up = std::isupper(static_cast<unsigned char>(c));
        if (i > 0 && up &&
            (std::islower(static_cast<unsigned char>(field[i - 1])) ||
             (i + 1 < field.size() && std::islower(static_cast<unsigned char>(field[i + 1])) && std::isupper(static_cast<unsigned char>(field[i - 1])))))
            h += ' ';
        h += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    return h;
}

}  // namespace

namespace {
bool gNoHeading = false;  // -n/--noheading of the verb being run
}  // namespace

void addNoHeading(CLI::App* sub, bool shortN) {
    sub->add_flag(shortN ? "-n,--noheading" : "--noheading", gNoHeading, "Do not print headers");
}

void printTable(std::vector<std::vector<std::string>> rows, size_t minWidth) {
    if (gNoHeading && !rows.empty()) rows.erase(rows.begin());
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

void printTemplate(const std::string& name, const std::string& format, const std::vector<gotemplate::Json>& rows,
                   const std::map<std::string, std::string>& headers) {
    bool table = format.rfind("table ", 0) == 0 || format.rfind("table\t", 0) == 0;
    std::string text = normalize(table ? format.substr(6) : format, table);
    if (text.empty() || text.back() != '\n') text += '\n';
    auto tmpl = gotemplate::Template::parse(name, text);
    std::string out;
    if (table && !gNoHeading) {
        // podman executes the template against the column headers to print the header row.
        gotemplate::Json head = gotemplate::Json::object();
        if (!rows.empty() && rows[0].is_object())
            for (auto it = rows[0].begin(); it != rows[0].end(); ++it) head[it.key()] = headerOf(it.key());
        for (const auto& [k, v] : headers) head[k] = v;
        try {
            out += tmpl.execute(head);
        } catch (const InvalidArgument&) {
            // A header cannot be derived (e.g. a nested field): print the rows only.
        }
    }
    for (const auto& r : rows) out += tmpl.execute(r);
    if (!table) {
        std::cout << out << std::flush;
        return;
    }
    std::vector<std::vector<std::string>> cells;
    for (const auto& line : str::split(out, '\n')) cells.push_back(str::split(line, '\t'));
    if (!cells.empty() && cells.back().size() == 1 && cells.back()[0].empty()) cells.pop_back();
    printTable(cells, 12);
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

void writeStreamTo(const std::string& output, const std::string& createError,
                   const std::function<void(const std::function<void(const void*, size_t)>&)>& produce) {
    UniqueFd file;
    int fd = STDOUT_FILENO;
    auto write = [&](const void* data, size_t n) {
        if (!output.empty() && !file) {  // created at the first byte: a missing object leaves no file
            file.reset(::open(output.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
            if (!file) throw SysError(errno, createError);
            fd = file.get();
        }
        auto* p = static_cast<const char*>(data);
        while (n > 0) {
            ssize_t w = ::write(fd, p, n);
            if (w < 0 && errno == EINTR) continue;
            if (w < 0) throw SysError(errno, "writing " + (output.empty() ? std::string("stdout") : output));
            p += w;
            n -= static_cast<size_t>(w);
        }
    };
    try {
        produce(write);
    } catch (...) {
        if (file) ::unlink(output.c_str());
        throw;
    }
}

void printJson(const nlohmann::json& j) { std::cout << jsonbytes::dumpReplacing(j, 4) << std::endl; }

}  // namespace hutch::cli
