// The value model of the template interpreter: Python's data model as Jinja templates see it
// (None, bool, int, float, str, list/tuple, dict with insertion order, plus Jinja's Undefined,
// namespace objects and callables). Containers are shared by reference like Python objects;
// templates cannot mutate lists or dicts (HF renders in an immutable sandbox), only namespaces.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace parley::chat_template {

class Value;

struct List {
    std::vector<Value> items;
    bool isTuple = false;
};

// Insertion-ordered mapping. Keys are compared with Python's == (1 == 1.0 == True); chat
// templates use only a handful of keys, so a linear scan beats hashing.
struct Dict {
    std::vector<std::pair<Value, Value>> entries;

    const Value* find(const Value& key) const;
    const Value* find(std::string_view key) const;
    const Value* find(const char* key) const { return find(std::string_view(key)); }
    void set(Value key, Value value);
};

// jinja2's namespace(): the one mutable object, assigned with `set ns.attr = ...`.
struct Namespace {
    Dict attributes;
};

struct CallArgs {
    std::vector<Value> positional;
    std::vector<std::pair<std::string, Value>> keyword;
};

struct Function {
    std::string name;
    std::function<Value(CallArgs&)> call;
};

// Raised inside the interpreter for any rendering failure; converted to parley::Error at the API.
class TemplateError : public std::runtime_error {
  public:
    explicit TemplateError(const std::string& message) : std::runtime_error(message) {}
    TemplateError(const std::string& message, int line, int column)
        : std::runtime_error(message), line(line), column(column) {}
    void locate(int atLine, int atColumn) {
        if (line == 0) {
            line = atLine;
            column = atColumn;
        }
    }
    int line = 0;
    int column = 0;
};

struct UndefinedTag {
    bool operator==(const UndefinedTag&) const = default;
};

class Value {
  public:
    enum class Kind { Undefined, None, Bool, Int, Float, String, List, Dict, Namespace, Function };

    Value() = default;
    Value(std::nullptr_t) : data_(nullptr) {}
    Value(bool b) : data_(b) {}
    Value(int i) : data_(int64_t{i}) {}
    Value(int64_t i) : data_(i) {}
    Value(double d) : data_(d) {}
    Value(std::string s) : data_(std::move(s)) {}
    Value(std::string_view s) : data_(std::string(s)) {}
    Value(const char* s) : data_(std::string(s)) {}
    Value(std::shared_ptr<List> l) : data_(std::move(l)) {}
    Value(std::shared_ptr<Dict> d) : data_(std::move(d)) {}
    Value(std::shared_ptr<Namespace> n) : data_(std::move(n)) {}
    Value(std::shared_ptr<Function> f) : data_(std::move(f)) {}

    static Value list(std::vector<Value> items, bool isTuple = false);
    static Value dict(Dict d = {});
    static Value function(std::string name, std::function<Value(CallArgs&)> call);

    Kind kind() const { return static_cast<Kind>(data_.index()); }
    bool isUndefined() const { return kind() == Kind::Undefined; }
    bool isNone() const { return kind() == Kind::None; }
    bool isBool() const { return kind() == Kind::Bool; }
    bool isInt() const { return kind() == Kind::Int; }
    bool isFloat() const { return kind() == Kind::Float; }
    // Python's numbers.Number: bool counts as an integer.
    bool isNumber() const { return isBool() || isInt() || isFloat(); }
    bool isString() const { return kind() == Kind::String; }
    bool isList() const { return kind() == Kind::List; }
    bool isDict() const { return kind() == Kind::Dict; }
    bool isNamespace() const { return kind() == Kind::Namespace; }
    bool isFunction() const { return kind() == Kind::Function; }

    bool asBool() const { return std::get<bool>(data_); }
    int64_t asInt() const;   // Int or Bool
    double asFloat() const;  // any number
    const std::string& asString() const { return std::get<std::string>(data_); }
    const List& asList() const { return *std::get<std::shared_ptr<List>>(data_); }
    const Dict& asDict() const { return *std::get<std::shared_ptr<Dict>>(data_); }
    Namespace& asNamespace() const { return *std::get<std::shared_ptr<Namespace>>(data_); }
    const Function& asFunction() const { return *std::get<std::shared_ptr<Function>>(data_); }
    const void* identity() const;

    bool truthy() const;
    // Python str(): what `{{ value }}` prints. Undefined prints as nothing.
    std::string str() const;
    // Python repr(), used for values nested in printed containers.
    std::string repr() const;
    std::string typeName() const;

  private:
    std::variant<UndefinedTag, std::nullptr_t, bool, int64_t, double, std::string,
                 std::shared_ptr<List>, std::shared_ptr<Dict>, std::shared_ptr<Namespace>,
                 std::shared_ptr<Function>>
        data_;
};

// Python ==, and < / <= / > / >= (which raise TypeError on mixed types).
bool valuesEqual(const Value& a, const Value& b);
int compareValues(const Value& a, const Value& b);  // <0, 0, >0; throws TemplateError

std::string pythonFloatRepr(double value);
std::string pythonStringRepr(std::string_view text);

}  // namespace parley::chat_template
