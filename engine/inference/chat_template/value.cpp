#include "inference/chat_template/value.h"

#include <charconv>
#include <cmath>
#include <cstdio>

#include "inference/chat_template/text.h"

namespace parley::chat_template {

const Value* Dict::find(const Value& key) const {
    for (const auto& [k, v] : entries) {
        if (valuesEqual(k, key)) {
            return &v;
        }
    }
    return nullptr;
}

const Value* Dict::find(std::string_view key) const {
    for (const auto& [k, v] : entries) {
        if (k.isString() && k.asString() == key) {
            return &v;
        }
    }
    return nullptr;
}

void Dict::set(Value key, Value value) {
    for (auto& [k, v] : entries) {
        if (valuesEqual(k, key)) {
            v = std::move(value);
            return;
        }
    }
    entries.emplace_back(std::move(key), std::move(value));
}

Value Value::list(std::vector<Value> items, bool isTuple) {
    auto l = std::make_shared<List>();
    l->items = std::move(items);
    l->isTuple = isTuple;
    return Value(std::move(l));
}

Value Value::dict(Dict d) {
    return Value(std::make_shared<Dict>(std::move(d)));
}

Value Value::function(std::string name, std::function<Value(CallArgs&)> call) {
    auto f = std::make_shared<Function>();
    f->name = std::move(name);
    f->call = std::move(call);
    return Value(std::move(f));
}

int64_t Value::asInt() const {
    return isBool() ? (asBool() ? 1 : 0) : std::get<int64_t>(data_);
}

double Value::asFloat() const {
    return isFloat() ? std::get<double>(data_) : static_cast<double>(asInt());
}

const void* Value::identity() const {
    switch (kind()) {
        case Kind::List:
            return &asList();
        case Kind::Dict:
            return &asDict();
        case Kind::Namespace:
            return &asNamespace();
        case Kind::Function:
            return &asFunction();
        default:
            return nullptr;
    }
}

bool Value::truthy() const {
    switch (kind()) {
        case Kind::Undefined:
        case Kind::None:
            return false;
        case Kind::Bool:
            return asBool();
        case Kind::Int:
            return asInt() != 0;
        case Kind::Float:
            return asFloat() != 0.0;
        case Kind::String:
            return !asString().empty();
        case Kind::List:
            return !asList().items.empty();
        case Kind::Dict:
            return !asDict().entries.empty();
        case Kind::Namespace:
        case Kind::Function:
            return true;
    }
    return false;
}

std::string pythonFloatRepr(double value) {
    if (std::isnan(value)) {
        return "nan";
    }
    if (std::isinf(value)) {
        return value > 0 ? "inf" : "-inf";
    }
    char buf[64];
    const auto res = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::scientific);
    std::string sci(buf, res.ptr);
    const size_t ePos = sci.find('e');
    std::string mantissa = sci.substr(0, ePos);
    const int exponent = std::stoi(sci.substr(ePos + 1));
    std::string sign;
    if (mantissa[0] == '-') {
        sign = "-";
        mantissa.erase(0, 1);
    }
    std::string digits;
    for (char c : mantissa) {
        if (c != '.') {
            digits.push_back(c);
        }
    }
    if (exponent >= -4 && exponent < 16) {
        std::string out;
        if (exponent < 0) {
            out = "0." + std::string(static_cast<size_t>(-exponent - 1), '0') + digits;
        } else if (static_cast<size_t>(exponent) + 1 >= digits.size()) {
            out = digits + std::string(exponent + 1 - digits.size(), '0') + ".0";
        } else {
            out = digits.substr(0, exponent + 1) + "." + digits.substr(exponent + 1);
        }
        return sign + out;
    }
    std::string out = digits.substr(0, 1);
    if (digits.size() > 1) {
        out += "." + digits.substr(1);
    }
    char expText[16];
    std::snprintf(expText, sizeof expText, "e%c%02d", exponent < 0 ? '-' : '+', std::abs(exponent));
    return sign + out + expText;
}

std::string pythonStringRepr(std::string_view s) {
    const bool hasSingle = s.find('\'') != std::string_view::npos;
    const bool hasDouble = s.find('"') != std::string_view::npos;
    const char quote = (hasSingle && !hasDouble) ? '"' : '\'';
    std::string out(1, quote);
    for (char32_t c : text::decode(s)) {
        if (c == static_cast<char32_t>(quote) || c == '\\') {
            out.push_back('\\');
            out.push_back(static_cast<char>(c));
        } else if (c == '\n') {
            out += "\\n";
        } else if (c == '\r') {
            out += "\\r";
        } else if (c == '\t') {
            out += "\\t";
        } else if (c < 0x20 || (c >= 0x7F && c <= 0xA0) || c == 0xAD) {
            char hex[8];
            std::snprintf(hex, sizeof hex, "\\x%02x", static_cast<unsigned>(c));
            out += hex;
        } else {
            text::appendUtf8(out, c);
        }
    }
    out.push_back(quote);
    return out;
}

std::string Value::str() const {
    switch (kind()) {
        case Kind::Undefined:
            return "";
        case Kind::String:
            return asString();
        default:
            return repr();
    }
}

std::string Value::repr() const {
    switch (kind()) {
        case Kind::Undefined:
            return "Undefined";
        case Kind::None:
            return "None";
        case Kind::Bool:
            return asBool() ? "True" : "False";
        case Kind::Int:
            return std::to_string(asInt());
        case Kind::Float:
            return pythonFloatRepr(asFloat());
        case Kind::String:
            return pythonStringRepr(asString());
        case Kind::List: {
            const List& l = asList();
            std::string out = l.isTuple ? "(" : "[";
            for (size_t i = 0; i < l.items.size(); ++i) {
                if (i > 0) {
                    out += ", ";
                }
                out += l.items[i].repr();
            }
            if (l.isTuple && l.items.size() == 1) {
                out += ",";
            }
            return out + (l.isTuple ? ")" : "]");
        }
        case Kind::Dict: {
            std::string out = "{";
            bool first = true;
            for (const auto& [k, v] : asDict().entries) {
                if (!first) {
                    out += ", ";
                }
                first = false;
                out += k.repr() + ": " + v.repr();
            }
            return out + "}";
        }
        case Kind::Namespace:
            return "<Namespace " + Value::dict(asNamespace().attributes).repr() + ">";
        case Kind::Function:
            return "<function " + asFunction().name + ">";
    }
    return "";
}

std::string Value::typeName() const {
    switch (kind()) {
        case Kind::Undefined:
            return "Undefined";
        case Kind::None:
            return "NoneType";
        case Kind::Bool:
            return "bool";
        case Kind::Int:
            return "int";
        case Kind::Float:
            return "float";
        case Kind::String:
            return "str";
        case Kind::List:
            return asList().isTuple ? "tuple" : "list";
        case Kind::Dict:
            return "dict";
        case Kind::Namespace:
            return "Namespace";
        case Kind::Function:
            return "function";
    }
    return "";
}

bool valuesEqual(const Value& a, const Value& b) {
    if (a.isNumber() && b.isNumber()) {
        if (a.isFloat() || b.isFloat()) {
            return a.asFloat() == b.asFloat();
        }
        return a.asInt() == b.asInt();
    }
    if (a.kind() != b.kind()) {
        return false;
    }
    switch (a.kind()) {
        case Value::Kind::Undefined:
        case Value::Kind::None:
            return true;
        case Value::Kind::String:
            return a.asString() == b.asString();
        case Value::Kind::List: {
            const List& x = a.asList();
            const List& y = b.asList();
            if (x.isTuple != y.isTuple || x.items.size() != y.items.size()) {
                return false;
            }
            for (size_t i = 0; i < x.items.size(); ++i) {
                if (!valuesEqual(x.items[i], y.items[i])) {
                    return false;
                }
            }
            return true;
        }
        case Value::Kind::Dict: {
            const Dict& x = a.asDict();
            const Dict& y = b.asDict();
            if (x.entries.size() != y.entries.size()) {
                return false;
            }
            for (const auto& [k, v] : x.entries) {
                const Value* other = y.find(k);
                if (other == nullptr || !valuesEqual(v, *other)) {
                    return false;
                }
            }
            return true;
        }
        default:
            return a.identity() == b.identity();
    }
}

int compareValues(const Value& a, const Value& b) {
    if (a.isNumber() && b.isNumber()) {
        if (a.isFloat() || b.isFloat()) {
            const double x = a.asFloat();
            const double y = b.asFloat();
            return x < y ? -1 : (x > y ? 1 : 0);
        }
        const int64_t x = a.asInt();
        const int64_t y = b.asInt();
        return x < y ? -1 : (x > y ? 1 : 0);
    }
    if (a.isString() && b.isString()) {
        // UTF-8 byte order equals code point order.
        const int c = a.asString().compare(b.asString());
        return c < 0 ? -1 : (c > 0 ? 1 : 0);
    }
    if (a.isList() && b.isList() && a.asList().isTuple == b.asList().isTuple) {
        const auto& x = a.asList().items;
        const auto& y = b.asList().items;
        for (size_t i = 0; i < x.size() && i < y.size(); ++i) {
            if (!valuesEqual(x[i], y[i])) {
                return compareValues(x[i], y[i]);
            }
        }
        return x.size() < y.size() ? -1 : (x.size() > y.size() ? 1 : 0);
    }
    if (a.isUndefined() || b.isUndefined()) {
        throw TemplateError("cannot compare an undefined value");
    }
    throw TemplateError("'<' not supported between instances of '" + a.typeName() + "' and '" +
                        b.typeName() + "'");
}

}  // namespace parley::chat_template
