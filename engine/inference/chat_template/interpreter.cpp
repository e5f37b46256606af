#include "inference/chat_template/interpreter.h"

#include <cmath>
#include <limits>
#include <optional>
#include <utility>

#include "inference/chat_template/builtins.h"
#include "inference/chat_template/text.h"

namespace parley::chat_template {

// Any TemplateError aborts the whole render, so scopes need no unwinding on the error path.
struct Interpreter::Scope {
    ScopePtr parent;
    std::vector<std::pair<std::string, Value>> vars;

    const Value* find(const std::string& name) const {
        for (const Scope* s = this; s != nullptr; s = s->parent.get()) {
            for (const auto& [k, v] : s->vars) {
                if (k == name) {
                    return &v;
                }
            }
        }
        return nullptr;
    }
    void set(const std::string& name, Value value) {
        for (auto& [k, v] : vars) {
            if (k == name) {
                v = std::move(value);
                return;
            }
        }
        vars.emplace_back(name, std::move(value));
    }
};

namespace {

// Reported at the undefined operand, not at the operator that tripped over it.
[[noreturn]] void undefinedError(const Expr& e) {
    if (e.kind == Expr::Kind::Name || e.kind == Expr::Kind::Getattr) {
        throw TemplateError("'" + e.name + "' is undefined", e.line, e.column);
    }
    throw TemplateError("undefined value used in an operation", e.line, e.column);
}

// Whether `value` contains the object `target`. Lists and dicts are immutable, so a namespace
// attribute is the only way to build a cycle, which would make printing recurse forever.
bool reaches(const Value& value, const void* target) {
    if (value.identity() == target) {
        return true;
    }
    if (value.isList()) {
        for (const Value& item : value.asList().items) {
            if (reaches(item, target)) {
                return true;
            }
        }
    } else if (value.isDict() || value.isNamespace()) {
        const Dict& d = value.isDict() ? value.asDict() : value.asNamespace().attributes;
        for (const auto& [k, v] : d.entries) {
            if (reaches(v, target)) {
                return true;
            }
        }
    }
    return false;
}

int64_t checkedInt(bool overflow, int64_t value) {
    if (overflow) {
        throw TemplateError("integer overflow");
    }
    return value;
}

int64_t floorDiv(int64_t a, int64_t b) {
    if (b == 0) {
        throw TemplateError("integer division or modulo by zero");
    }
    if (a == std::numeric_limits<int64_t>::min() && b == -1) {
        throw TemplateError("integer overflow");
    }
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) {
        --q;
    }
    return q;
}

int64_t floorMod(int64_t a, int64_t b) {
    if (b == 0) {
        throw TemplateError("integer division or modulo by zero");
    }
    if (b == -1) {
        return 0;
    }
    int64_t m = a % b;
    if (m != 0 && ((m < 0) != (b < 0))) {
        m += b;
    }
    return m;
}

double floatMod(double a, double b) {
    if (b == 0.0) {
        throw TemplateError("float modulo");
    }
    double m = std::fmod(a, b);
    if (m != 0.0 && ((m < 0) != (b < 0))) {
        m += b;
    }
    return m;
}

}  // namespace

Interpreter::Interpreter(const std::tm& now, RenderLimits limits) : now_(now), limits_(limits) {}

void Interpreter::checkSize(size_t bytes) const {
    if (bytes > limits_.maxOutputBytes) {
        throw TemplateError("output exceeds the limit of " +
                            std::to_string(limits_.maxOutputBytes) + " bytes");
    }
}

void Interpreter::append(std::string& out, std::string_view piece) const {
    checkSize(out.size() + piece.size());
    out.append(piece);
}

void Interpreter::step() {
    if (++steps_ > limits_.maxSteps) {
        throw TemplateError("template exceeds the work limit (runaway loop?)");
    }
}

std::string Interpreter::render(const Body& body, const Value& context) {
    auto globals = std::make_shared<Scope>();
    Dict builtins;
    installGlobals(builtins, now_);
    for (auto& [k, v] : builtins.entries) {
        globals->set(k.asString(), v);
    }
    scope_ = std::make_shared<Scope>();
    scope_->parent = globals;
    for (const auto& [k, v] : context.asDict().entries) {
        if (k.isString()) {
            scope_->set(k.asString(), v);
        }
    }
    std::string out;
    exec(body, out);
    return out;
}

Interpreter::Flow Interpreter::exec(const Body& body, std::string& out) {
    for (const NodePtr& node : body) {
        const Flow flow = execNode(*node, out);
        if (flow != Flow::Normal) {
            return flow;
        }
    }
    return Flow::Normal;
}

Interpreter::Flow Interpreter::execNode(const Node& node, std::string& out) {
    step();
    try {
        switch (node.kind) {
            case Node::Kind::Text:
                append(out, node.text);
                return Flow::Normal;
            case Node::Kind::Output:
                append(out, eval(*node.expr).str());
                return Flow::Normal;
            case Node::Kind::If:
                return exec(eval(*node.expr).truthy() ? node.body : node.elseBody, out);
            case Node::Kind::For:
                execFor(node, out);
                return Flow::Normal;
            case Node::Kind::Set:
                assign(*node.target, eval(*node.expr));
                return Flow::Normal;
            case Node::Kind::SetBlock: {
                std::string captured;
                exec(node.body, captured);
                Value v(std::move(captured));
                if (node.expr) {
                    v = evalFilter(*node.expr, &v);
                }
                assign(*node.target, v);
                return Flow::Normal;
            }
            case Node::Kind::Macro:
                scope_->set(node.name, makeMacro(node, scope_, node.name));
                return Flow::Normal;
            case Node::Kind::CallBlock: {
                const Expr& callExpr = *node.expr;
                Value callee = eval(*callExpr.children[0]);
                CallArgs args = evalArgs(callExpr, 1);
                args.keyword.emplace_back("caller", makeMacro(node, scope_, "caller"));
                if (callee.isUndefined()) {
                    undefinedError(*callExpr.children[0]);
                }
                append(out, call(callee, args).str());
                return Flow::Normal;
            }
            case Node::Kind::FilterBlock: {
                std::string captured;
                exec(node.body, captured);
                const Value input(std::move(captured));
                append(out, evalFilter(*node.expr, &input).str());
                return Flow::Normal;
            }
            case Node::Kind::With: {
                std::vector<Value> values;
                for (const auto& v : node.values) {
                    values.push_back(eval(*v));
                }
                ScopePtr saved = scope_;
                scope_ = std::make_shared<Scope>();
                scope_->parent = saved;
                for (size_t i = 0; i < values.size(); ++i) {
                    assign(*node.targets[i], values[i]);
                }
                const Flow flow = exec(node.body, out);
                scope_ = saved;
                return flow;
            }
            case Node::Kind::Break:
                return Flow::Break;
            case Node::Kind::Continue:
                return Flow::Continue;
            case Node::Kind::Scope:
                return exec(node.body, out);
        }
    } catch (TemplateError& e) {
        e.locate(node.line, node.column);
        throw;
    }
    return Flow::Normal;
}

void Interpreter::execFor(const Node& node, std::string& out) {
    const std::vector<Value> all = iterate(eval(*node.expr));
    ScopePtr outer = scope_;
    std::vector<Value> filtered;
    if (node.condition) {
        for (const Value& item : all) {
            step();
            scope_ = std::make_shared<Scope>();
            scope_->parent = outer;
            assign(*node.target, item);
            if (eval(*node.condition).truthy()) {
                filtered.push_back(item);
            }
        }
        scope_ = outer;
    }
    const std::vector<Value>& items = node.condition ? filtered : all;
    if (items.empty()) {
        scope_ = std::make_shared<Scope>();
        scope_->parent = outer;
        exec(node.elseBody, out);
        scope_ = outer;
        return;
    }
    const auto length = static_cast<int64_t>(items.size());
    for (int64_t i = 0; i < length; ++i) {
        step();
        scope_ = std::make_shared<Scope>();
        scope_->parent = outer;
        // Built directly: the keys are distinct, so Dict::set's duplicate search is not needed.
        Dict loop;
        auto& e = loop.entries;
        e.reserve(12);
        e.emplace_back(Value("index"), Value(i + 1));
        e.emplace_back(Value("index0"), Value(i));
        e.emplace_back(Value("revindex"), Value(length - i));
        e.emplace_back(Value("revindex0"), Value(length - i - 1));
        e.emplace_back(Value("first"), Value(i == 0));
        e.emplace_back(Value("last"), Value(i == length - 1));
        e.emplace_back(Value("length"), Value(length));
        e.emplace_back(Value("depth"), Value(1));
        e.emplace_back(Value("depth0"), Value(0));
        if (i > 0) {
            e.emplace_back(Value("previtem"), items[i - 1]);
        }
        if (i + 1 < length) {
            e.emplace_back(Value("nextitem"), items[i + 1]);
        }
        e.emplace_back(Value("cycle"), Value::function("cycle", [i](CallArgs& args) -> Value {
                           if (args.positional.empty()) {
                               throw TemplateError("no items for cycling given");
                           }
                           return args.positional[static_cast<size_t>(i) % args.positional.size()];
                       }));
        scope_->set("loop", Value::dict(std::move(loop)));
        assign(*node.target, items[i]);
        const Flow flow = exec(node.body, out);
        if (flow == Flow::Break) {
            break;
        }
    }
    scope_ = outer;
}

void Interpreter::assign(const Expr& target, const Value& value) {
    if (target.kind == Expr::Kind::Name) {
        scope_->set(target.name, value);
        return;
    }
    if (target.kind == Expr::Kind::Getattr) {
        const Value* ns = scope_->find(target.children[0]->name);
        if (ns == nullptr || !ns->isNamespace()) {
            throw TemplateError("cannot assign attribute on non-namespace object");
        }
        if (reaches(value, ns->identity())) {
            throw TemplateError("cannot store a namespace inside itself");
        }
        ns->asNamespace().attributes.set(Value(target.name), value);
        return;
    }
    // Tuple unpacking.
    const std::vector<Value> items = iterate(value);
    if (items.size() != target.children.size()) {
        throw TemplateError(items.size() > target.children.size()
                                ? "too many values to unpack (expected " +
                                      std::to_string(target.children.size()) + ")"
                                : "not enough values to unpack (expected " +
                                      std::to_string(target.children.size()) + ", got " +
                                      std::to_string(items.size()) + ")");
    }
    for (size_t i = 0; i < items.size(); ++i) {
        assign(*target.children[i], items[i]);
    }
}

// The macro lives in the scope it closes over, so it holds that scope weakly to avoid a
// reference cycle. A macro can only outlive its scope when smuggled out of a loop in a namespace.
Value Interpreter::makeMacro(const Node& node, const ScopePtr& closure, const std::string& name) {
    std::weak_ptr<Scope> weakClosure = closure;
    return Value::function(name, [this, &node, weakClosure, name](CallArgs& args) {
        const ScopePtr scope = weakClosure.lock();
        if (!scope) {
            throw TemplateError("macro '" + name + "' called after its defining scope ended");
        }
        return callMacro(node, scope, name, args);
    });
}

Value Interpreter::callMacro(const Node& node, const ScopePtr& closure, const std::string& name,
                             CallArgs& args) {
    if (callDepth_ >= limits_.maxCallDepth) {
        throw TemplateError("maximum recursion depth exceeded in macro '" + name + "'");
    }
    if (args.positional.size() > node.params.size()) {
        throw TemplateError("macro '" + name + "' takes not more than " +
                            std::to_string(node.params.size()) + " argument(s)");
    }
    ScopePtr saved = scope_;
    scope_ = std::make_shared<Scope>();
    scope_->parent = closure;
    const size_t firstDefault = node.params.size() - node.defaults.size();
    for (size_t i = 0; i < node.params.size(); ++i) {
        const std::string& param = node.params[i];
        if (i < args.positional.size()) {
            scope_->set(param, args.positional[i]);
            continue;
        }
        bool found = false;
        for (auto& [k, v] : args.keyword) {
            if (k == param) {
                scope_->set(param, v);
                found = true;
                break;
            }
        }
        if (!found) {
            scope_->set(param,
                        i >= firstDefault ? eval(*node.defaults[i - firstDefault]) : Value());
        }
    }
    for (auto& [k, v] : args.keyword) {
        bool known = k == "caller";
        for (const std::string& param : node.params) {
            known = known || param == k;
        }
        if (!known) {
            throw TemplateError("macro '" + name + "' takes no keyword argument '" + k + "'");
        }
        if (k == "caller") {
            scope_->set("caller", v);
        }
    }
    ++callDepth_;
    std::string out;
    exec(node.body, out);
    --callDepth_;
    scope_ = saved;
    return Value(std::move(out));
}

Value Interpreter::lookup(const std::string& name) const {
    const Value* v = scope_->find(name);
    return v != nullptr ? *v : Value();
}

Value Interpreter::getAttr(const Value& object, const std::string& name) const {
    switch (object.kind()) {
        case Value::Kind::Dict: {
            Value method = lookupMethod(object, name);
            if (!method.isUndefined()) {
                return method;
            }
            const Value* v = object.asDict().find(std::string_view(name));
            return v != nullptr ? *v : Value();
        }
        case Value::Kind::Namespace: {
            const Value* v = object.asNamespace().attributes.find(std::string_view(name));
            return v != nullptr ? *v : Value();
        }
        default:
            // Undefined stays undefined (lenient where jinja2 raises; see README).
            return lookupMethod(object, name);
    }
}

Value Interpreter::getItem(const Value& object, const Value& key) const {
    switch (object.kind()) {
        case Value::Kind::Dict: {
            const Value* v = object.asDict().find(key);
            if (v != nullptr) {
                return *v;
            }
            break;
        }
        case Value::Kind::List:
        case Value::Kind::String: {
            if (key.isInt() || key.isBool()) {
                int64_t i = key.asInt();
                if (object.isList()) {
                    const auto& items = object.asList().items;
                    const auto n = static_cast<int64_t>(items.size());
                    if (i < 0) {
                        i += n;
                    }
                    return (i >= 0 && i < n) ? items[static_cast<size_t>(i)] : Value();
                }
                const std::u32string cps = text::decode(object.asString());
                const auto n = static_cast<int64_t>(cps.size());
                if (i < 0) {
                    i += n;
                }
                if (i < 0 || i >= n) {
                    return Value();
                }
                return Value(text::encode(std::u32string_view(cps).substr(i, 1)));
            }
            break;
        }
        case Value::Kind::Namespace:
            if (key.isString()) {
                return getAttr(object, key.asString());
            }
            return Value();
        default:
            return Value();
    }
    if (key.isString()) {
        return lookupMethod(object, key.asString());
    }
    return Value();
}

std::vector<Value> Interpreter::iterate(const Value& value) const {
    switch (value.kind()) {
        case Value::Kind::Undefined:
            return {};
        case Value::Kind::List:
            return value.asList().items;
        case Value::Kind::Dict: {
            std::vector<Value> keys;
            for (const auto& [k, v] : value.asDict().entries) {
                keys.push_back(k);
            }
            return keys;
        }
        case Value::Kind::String: {
            std::vector<Value> chars;
            for (char32_t c : text::decode(value.asString())) {
                std::string s;
                text::appendUtf8(s, c);
                chars.emplace_back(std::move(s));
            }
            return chars;
        }
        default:
            throw TemplateError("'" + value.typeName() + "' object is not iterable");
    }
}

Value Interpreter::call(const Value& callee, CallArgs& args) {
    if (!callee.isFunction()) {
        if (callee.isUndefined()) {
            throw TemplateError("undefined value is not callable");
        }
        throw TemplateError("'" + callee.typeName() + "' object is not callable");
    }
    return callee.asFunction().call(args);
}

CallArgs Interpreter::evalArgs(const Expr& e, size_t firstArg) {
    CallArgs args;
    for (size_t i = firstArg; i < e.children.size(); ++i) {
        args.positional.push_back(eval(*e.children[i]));
    }
    for (const auto& [k, v] : e.keywords) {
        args.keyword.emplace_back(k, eval(*v));
    }
    return args;
}

Value Interpreter::eval(const Expr& e) {
    try {
        return evalInner(e);
    } catch (TemplateError& err) {
        err.locate(e.line, e.column);
        throw;
    }
}

Value Interpreter::evalFilter(const Expr& e, const Value* blockInput) {
    Value input;
    if (e.children[0] == nullptr) {
        input = *blockInput;
    } else if (e.children[0]->kind == Expr::Kind::Filter && blockInput != nullptr) {
        input = evalFilter(*e.children[0], blockInput);
    } else {
        input = eval(*e.children[0]);
    }
    CallArgs args = evalArgs(e, 1);
    try {
        return applyFilter(*this, e.name, input, args);
    } catch (TemplateError& err) {
        err.locate(e.line, e.column);
        throw;
    }
}

Value Interpreter::evalInner(const Expr& e) {
    switch (e.kind) {
        case Expr::Kind::Literal:
            return e.literal;
        case Expr::Kind::Name:
            return lookup(e.name);
        case Expr::Kind::List:
        case Expr::Kind::Tuple: {
            std::vector<Value> items;
            for (const auto& c : e.children) {
                items.push_back(eval(*c));
            }
            return Value::list(std::move(items), e.kind == Expr::Kind::Tuple);
        }
        case Expr::Kind::Dict: {
            Dict d;
            for (size_t i = 0; i + 1 < e.children.size(); i += 2) {
                Value key = eval(*e.children[i]);
                if (key.isList() && !key.asList().isTuple) {
                    throw TemplateError("unhashable type: 'list'");
                }
                if (key.isDict() || key.isUndefined()) {
                    throw TemplateError("unhashable type: '" + key.typeName() + "'");
                }
                d.set(std::move(key), eval(*e.children[i + 1]));
            }
            return Value::dict(std::move(d));
        }
        case Expr::Kind::Getattr:
            return getAttr(eval(*e.children[0]), e.name);
        case Expr::Kind::Getitem:
            return getItem(eval(*e.children[0]), eval(*e.children[1]));
        case Expr::Kind::Slice: {
            auto part = [&](size_t i) {
                return e.children[i] ? eval(*e.children[i]) : Value(nullptr);
            };
            return evalSlice(eval(*e.children[0]), part(1), part(2), part(3));
        }
        case Expr::Kind::Call: {
            const Value callee = eval(*e.children[0]);
            if (callee.isUndefined()) {
                undefinedError(*e.children[0]);
            }
            CallArgs args = evalArgs(e, 1);
            return call(callee, args);
        }
        case Expr::Kind::Filter:
            return evalFilter(e, nullptr);
        case Expr::Kind::Test: {
            const Value input = eval(*e.children[0]);
            CallArgs args = evalArgs(e, 1);
            return Value(applyTest(*this, e.name, input, args));
        }
        case Expr::Kind::Not:
            return Value(!eval(*e.children[0]).truthy());
        case Expr::Kind::Negate:
        case Expr::Kind::Plus: {
            const Value v = eval(*e.children[0]);
            if (v.isUndefined()) {
                undefinedError(*e.children[0]);
            }
            if (!v.isNumber()) {
                throw TemplateError("bad operand type for unary " +
                                    std::string(e.kind == Expr::Kind::Negate ? "-" : "+") + ": '" +
                                    v.typeName() + "'");
            }
            if (e.kind == Expr::Kind::Plus) {
                return v.isBool() ? Value(v.asInt()) : v;
            }
            if (v.isFloat()) {
                return Value(-v.asFloat());
            }
            return Value(checkedInt(v.asInt() == std::numeric_limits<int64_t>::min(), -v.asInt()));
        }
        case Expr::Kind::Binary: {
            const Value a = eval(*e.children[0]);
            const Value b = eval(*e.children[1]);
            if (a.isUndefined()) {
                undefinedError(*e.children[0]);
            }
            if (b.isUndefined()) {
                undefinedError(*e.children[1]);
            }
            return evalBinary(e.name, a, b);
        }
        case Expr::Kind::Concat: {
            std::string out;
            for (const auto& c : e.children) {
                out += eval(*c).str();
                checkSize(out.size());
            }
            return Value(std::move(out));
        }
        case Expr::Kind::Compare:
            return evalCompare(e);
        case Expr::Kind::And: {
            Value a = eval(*e.children[0]);
            return a.truthy() ? eval(*e.children[1]) : a;
        }
        case Expr::Kind::Or: {
            Value a = eval(*e.children[0]);
            return a.truthy() ? a : eval(*e.children[1]);
        }
        case Expr::Kind::Conditional:
            if (eval(*e.children[0]).truthy()) {
                return eval(*e.children[1]);
            }
            return e.children[2] ? eval(*e.children[2]) : Value();
    }
    return Value();
}

Value Interpreter::evalCompare(const Expr& e) {
    Value left = eval(*e.children[0]);
    for (size_t i = 0; i < e.ops.size(); ++i) {
        Value right = eval(*e.children[i + 1]);
        const std::string& op = e.ops[i];
        bool result = false;
        if (op == "==") {
            result = valuesEqual(left, right);
        } else if (op == "!=") {
            result = !valuesEqual(left, right);
        } else if (op == "in") {
            result = contains(right, left);
        } else if (op == "not in") {
            result = !contains(right, left);
        } else {
            const int c = compareValues(left, right);
            result = op == "<" ? c < 0 : op == "<=" ? c <= 0 : op == ">" ? c > 0 : c >= 0;
        }
        if (!result) {
            return Value(false);
        }
        left = std::move(right);
    }
    return Value(true);
}

Value Interpreter::evalBinary(const std::string& op, const Value& a, const Value& b) const {
    auto unsupported = [&]() -> TemplateError {
        return TemplateError("unsupported operand type(s) for " + op + ": '" + a.typeName() +
                             "' and '" + b.typeName() + "'");
    };
    if (a.isNumber() && b.isNumber()) {
        const bool ints = !a.isFloat() && !b.isFloat();
        if (ints) {
            const int64_t x = a.asInt();
            const int64_t y = b.asInt();
            int64_t r = 0;
            if (op == "+") {
                const bool overflow = __builtin_add_overflow(x, y, &r);
                return Value(checkedInt(overflow, r));
            }
            if (op == "-") {
                const bool overflow = __builtin_sub_overflow(x, y, &r);
                return Value(checkedInt(overflow, r));
            }
            if (op == "*") {
                const bool overflow = __builtin_mul_overflow(x, y, &r);
                return Value(checkedInt(overflow, r));
            }
            if (op == "//") {
                return Value(floorDiv(x, y));
            }
            if (op == "%") {
                return Value(floorMod(x, y));
            }
            if (op == "**" && y >= 0) {
                int64_t result = 1;
                for (int64_t k = 0; k < y; ++k) {
                    if (__builtin_mul_overflow(result, x, &result)) {
                        throw TemplateError("integer overflow");
                    }
                    if (result == 0 || result == 1) {
                        break;
                    }
                }
                return Value(result);
            }
        }
        const double x = a.asFloat();
        const double y = b.asFloat();
        if (op == "+") {
            return Value(x + y);
        }
        if (op == "-") {
            return Value(x - y);
        }
        if (op == "*") {
            return Value(x * y);
        }
        if (op == "/") {
            if (y == 0.0) {
                throw TemplateError("division by zero");
            }
            return Value(x / y);
        }
        if (op == "//") {
            if (y == 0.0) {
                throw TemplateError("float floor division by zero");
            }
            return Value(std::floor(x / y));
        }
        if (op == "%") {
            return Value(floatMod(x, y));
        }
        if (op == "**") {
            if (x == 0.0 && y < 0) {
                throw TemplateError("0.0 cannot be raised to a negative power");
            }
            return Value(std::pow(x, y));
        }
        throw unsupported();
    }
    if (op == "+") {
        if (a.isString() && b.isString()) {
            checkSize(a.asString().size() + b.asString().size());
            return Value(a.asString() + b.asString());
        }
        if (a.isList() && b.isList() && a.asList().isTuple == b.asList().isTuple) {
            std::vector<Value> items = a.asList().items;
            items.insert(items.end(), b.asList().items.begin(), b.asList().items.end());
            return Value::list(std::move(items), a.asList().isTuple);
        }
        if (a.isString() || b.isString()) {
            throw TemplateError("can only concatenate str (not \"" +
                                (a.isString() ? b : a).typeName() + "\") to str");
        }
        throw unsupported();
    }
    if (op == "*") {
        const bool aSeq = a.isString() || a.isList();
        const bool bSeq = b.isString() || b.isList();
        if ((aSeq && (b.isInt() || b.isBool())) || (bSeq && (a.isInt() || a.isBool()))) {
            const Value& seq = aSeq ? a : b;
            const int64_t count = std::max<int64_t>(0, (aSeq ? b : a).asInt());
            if (seq.isString()) {
                checkSize(seq.asString().size() * static_cast<size_t>(count));
                std::string out;
                for (int64_t i = 0; i < count; ++i) {
                    out += seq.asString();
                }
                return Value(std::move(out));
            }
            if (seq.asList().items.size() * static_cast<size_t>(count) > limits_.maxSequence) {
                throw TemplateError("repeated list is too long");
            }
            std::vector<Value> items;
            for (int64_t i = 0; i < count; ++i) {
                items.insert(items.end(), seq.asList().items.begin(), seq.asList().items.end());
            }
            return Value::list(std::move(items), seq.asList().isTuple);
        }
    }
    if (op == "%" && a.isString()) {
        throw TemplateError("printf-style string formatting ('%' on a string) is not supported");
    }
    throw unsupported();
}

Value Interpreter::evalSlice(const Value& target, const Value& startValue, const Value& stopValue,
                             const Value& stepValue) const {
    if (target.isUndefined()) {
        return Value();
    }
    if (!target.isList() && !target.isString()) {
        throw TemplateError("'" + target.typeName() + "' object is not subscriptable");
    }
    auto index = [](const Value& v) -> std::optional<int64_t> {
        if (v.isNone() || v.isUndefined()) {
            return std::nullopt;
        }
        if (!v.isInt() && !v.isBool()) {
            throw TemplateError("slice indices must be integers or None");
        }
        return v.asInt();
    };
    const std::u32string cps = target.isString() ? text::decode(target.asString()) : U"";
    const auto n =
        static_cast<int64_t>(target.isString() ? cps.size() : target.asList().items.size());
    const int64_t stepBy = index(stepValue).value_or(1);
    if (stepBy == 0) {
        throw TemplateError("slice step cannot be zero");
    }
    auto clamp = [&](std::optional<int64_t> v, int64_t fallback) {
        if (!v) {
            return fallback;
        }
        int64_t i = *v;
        if (i < 0) {
            i += n;
            if (i < 0) {
                i = stepBy < 0 ? -1 : 0;
            }
        } else if (i >= n) {
            i = stepBy < 0 ? n - 1 : n;
        }
        return i;
    };
    const int64_t start = clamp(index(startValue), stepBy < 0 ? n - 1 : 0);
    const int64_t stop = clamp(index(stopValue), stepBy < 0 ? -1 : n);
    std::vector<int64_t> picked;
    for (int64_t i = start; stepBy > 0 ? i < stop : i > stop; i += stepBy) {
        picked.push_back(i);
    }
    if (target.isString()) {
        std::u32string out;
        for (int64_t i : picked) {
            out.push_back(cps[static_cast<size_t>(i)]);
        }
        return Value(text::encode(out));
    }
    std::vector<Value> items;
    for (int64_t i : picked) {
        items.push_back(target.asList().items[static_cast<size_t>(i)]);
    }
    return Value::list(std::move(items), target.asList().isTuple);
}

bool contains(const Value& container, const Value& item) {
    switch (container.kind()) {
        case Value::Kind::Undefined:
            return false;
        case Value::Kind::String:
            if (!item.isString()) {
                throw TemplateError("'in <string>' requires string as left operand, not " +
                                    item.typeName());
            }
            return container.asString().find(item.asString()) != std::string::npos;
        case Value::Kind::List:
            for (const Value& v : container.asList().items) {
                if (valuesEqual(v, item)) {
                    return true;
                }
            }
            return false;
        case Value::Kind::Dict:
            return container.asDict().find(item) != nullptr;
        default:
            throw TemplateError("argument of type '" + container.typeName() + "' is not iterable");
    }
}

}  // namespace parley::chat_template
