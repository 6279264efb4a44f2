// Internal to gotemplate*.cpp: the parse tree and the function table of the Go template
// subset. Not a public API.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "hutch/common/gotemplate.hpp"

namespace hutch::gotemplate::detail {

struct Pipeline;

/// An operand of a command.
struct Arg {
    enum Kind { Field, Dot, Var, Literal, Ident, Paren } kind = Dot;
    std::string name;                 // Var: "$x"; Ident: function name
    std::vector<std::string> chain;   // field names applied after the term (Field: all of them)
    Json literal;                     // Literal
    std::shared_ptr<Pipeline> pipe;   // Paren
    size_t pos = 0;                   // byte offset in the template text
    std::string src;                  // source text, for error messages
};

/// One command of a pipeline: a function call or a single operand.
struct Command {
    std::vector<Arg> args;
    size_t pos = 0;
    std::string src;
};

struct Pipeline {
    std::vector<std::string> vars;  // declared/assigned variables ("$i", "$e")
    bool declare = false;           // := (true) or = (false), when vars is not empty
    std::vector<Command> cmds;
    size_t pos = 0;
};

struct Node;
using NodeList = std::vector<std::shared_ptr<Node>>;

struct Node {
    enum Kind { Text, Action, If, Range, With } kind = Text;
    std::string text;  // Text
    Pipeline pipe;     // Action, If, Range, With
    NodeList list, elseList;
    size_t pos = 0;
};

/// A template function: arguments in, value out. `std::string` exceptions become
/// "error calling NAME: MSG". A "missing" value (<no value>) is passed as `missing`.
struct Value {
    Json j;
    bool missing = false;  // Go's invalid reflect.Value: prints "<no value>"
    bool mapLike = false;  // reached through a map-typed field: unknown keys are not errors
};
using Func = std::function<Value(const std::vector<Value>&)>;

/// The function table; nullptr if `name` is not defined.
const Func* findFunc(const std::string& name);

/// Go's truth: false, 0, nil, empty string/array/object and missing are false.
bool truth(const Value& v);

/// Go's fmt.Sprintf subset: verbs %v %s %d %q %t %f %g %e %x %X %c %%, flags - + 0 space #,
/// width and precision (also *), %!v(MISSING) and %!(EXTRA ...) as Go prints them.
std::string sprintf(const std::string& format, const std::vector<Value>& args);

/// The Go type a JSON value stands for in error messages ("string", "int", "[]interface {}",
/// ...); `nullName` for null (Go says "<nil>" for a nil argument, "interface {}" for a field's
/// receiver).
std::string goTypeName(const Json& j, const char* nullName);

}  // namespace hutch::gotemplate::detail

struct hutch::gotemplate::Template::Impl {
    std::string name, text;
    detail::NodeList root;
};
