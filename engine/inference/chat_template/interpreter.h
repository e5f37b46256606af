// Tree-walking evaluator: renders a parsed template against a context with jinja2's scoping
// (a `for` iteration and a macro call get their own scope; `if` does not), Python value
// semantics, and hard limits on output size, call depth and work so hostile templates fail fast.
#pragma once

#include <ctime>
#include <memory>
#include <string>
#include <vector>

#include "inference/chat_template/ast.h"
#include "inference/chat_template/value.h"

namespace parley::chat_template {

struct RenderLimits {
    size_t maxOutputBytes = 32u << 20;  // also caps any single string value
    int maxCallDepth = 200;             // macro and caller() nesting
    uint64_t maxSteps = 5'000'000;      // statements executed plus loop iterations
    size_t maxSequence = 1'000'000;     // range() and repeated lists
};

class Interpreter {
  public:
    Interpreter(const std::tm& now, RenderLimits limits = {});

    // Throws TemplateError. `context` must be a dict.
    std::string render(const Body& body, const Value& context);

    // Attribute and item access with jinja2's sandbox rules (methods before keys for `.name`,
    // keys before methods for `[key]`; missing -> undefined).
    Value getAttr(const Value& object, const std::string& name) const;
    Value getItem(const Value& object, const Value& key) const;
    // Python iter(): list items, string characters, dict keys; undefined iterates as empty.
    std::vector<Value> iterate(const Value& value) const;
    Value call(const Value& callee, CallArgs& args);

    const std::tm& now() const { return now_; }
    const RenderLimits& limits() const { return limits_; }
    void checkSize(size_t bytes) const;

  private:
    struct Scope;
    using ScopePtr = std::shared_ptr<Scope>;
    enum class Flow { Normal, Break, Continue };

    Flow exec(const Body& body, std::string& out);
    Flow execNode(const Node& node, std::string& out);
    void execFor(const Node& node, std::string& out);
    void append(std::string& out, std::string_view piece) const;
    void step();

    Value eval(const Expr& e);
    Value evalInner(const Expr& e);
    Value evalFilter(const Expr& e, const Value* blockInput);
    Value evalCompare(const Expr& e);
    Value evalBinary(const std::string& op, const Value& a, const Value& b) const;
    Value evalSlice(const Value& target, const Value& start, const Value& stop,
                    const Value& stepValue) const;
    CallArgs evalArgs(const Expr& e, size_t firstArg);
    Value lookup(const std::string& name) const;
    void assign(const Expr& target, const Value& value);

    Value makeMacro(const Node& node, const ScopePtr& closure, const std::string& name);
    Value callMacro(const Node& node, const ScopePtr& closure, const std::string& name,
                    CallArgs& args);

    std::tm now_;
    RenderLimits limits_;
    ScopePtr scope_;
    int callDepth_ = 0;
    uint64_t steps_ = 0;
};

bool contains(const Value& container, const Value& item);

}  // namespace parley::chat_template
