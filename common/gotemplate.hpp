// A subset of Go's text/template (https://pkg.go.dev/text/template) executed against a JSON
// value, for podman-compatible `--format` templates.
//
// Supported: text and {{ }} actions with {{- / -}} trimming and {{/* comments */}}; pipelines
// with `|`; `.`, `$`, field chains (.A.B, $x.A, (pipeline).A); variables ($x := ..., $x = ...);
// if / else if / else / end, range (arrays and objects, `$i, $e :=`), with; string, raw string,
// number, bool and nil literals; functions and, or, not, len, index, slice, print, printf,
// println, eq, ne, lt, le, gt, ge (Go builtins) and json, lower, upper, title, join, split,
// truncate, pad (podman's containers/common report functions).
//
// JSON stands in for Go values: objects are looked up like structs (exact key, then a
// case-insensitive match so `.Store.GraphRoot` finds "graphRoot") and print like Go maps.
#pragma once

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

namespace hutch::gotemplate {

using Json = nlohmann::ordered_json;

/// A parsed template. Copyable (shares the parse tree); execute() is const and reentrant.
class Template {
public:
    /// Parses `text` (text/template syntax). `name` appears in error messages as Go prints
    /// them ("template: NAME:LINE: unclosed action"). Unknown functions are parse errors
    /// (`function "foo" not defined`). Throws hutch::InvalidArgument.
    static Template parse(const std::string& name, const std::string& text);

    /// Executes the template with `data` as dot and `$`. Throws hutch::InvalidArgument on an
    /// execution error, e.g. `template: inspect:1:2: executing "inspect" at <.Nope>: can't
    /// evaluate field Nope in type map`. Unknown fields of objects are errors, except in
    /// objects reached through a field named Labels, Annotations, Options, Sysctls or Attributes (Go maps
    /// in podman), where a missing key prints "<no value>".
    std::string execute(const Json& data) const;

    struct Impl;

private:
    std::shared_ptr<const Impl> impl_;
};

/// parse(name, text).execute(data).
std::string render(const std::string& name, const std::string& text, const Json& data);

/// A value as Go's fmt %v prints it: strings raw, integral numbers without a fraction, other
/// numbers shortest (%g style, 1e+06), true/false, null as "<nil>", arrays "[a b]", objects
/// "map[k:v]" with sorted keys.
std::string formatValue(const Json& v);

/// Go's json.Marshal output for `v` (compact, <, > and & escaped as \u003c ...), as podman's
/// `json` template function prints it.
std::string goJson(const Json& v);

}  // namespace hutch::gotemplate
