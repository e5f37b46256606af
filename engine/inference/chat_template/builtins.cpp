#include "inference/chat_template/builtins.h"

#include <algorithm>
#include <cfenv>
#include <charconv>
#include <cmath>
#include <functional>
#include <unordered_map>

#include "inference/chat_template/interpreter.h"
#include "inference/chat_template/json.h"
#include "inference/chat_template/text.h"

namespace parley::chat_template {
namespace {

// Positional-or-keyword argument access with Python's checks.
class Args {
  public:
    Args(const CallArgs& args, std::string_view function,
         std::initializer_list<std::string_view> names)
        : args_(args), names_(names) {
        if (args.positional.size() > names.size()) {
            throw TemplateError(std::string(function) + "() takes at most " +
                                std::to_string(names.size()) + " argument(s)");
        }
        for (const auto& [k, v] : args.keyword) {
            const auto it = std::find(names_.begin(), names_.end(), k);
            if (it == names_.end()) {
                throw TemplateError(std::string(function) +
                                    "() got an unexpected keyword argument '" + k + "'");
            }
            if (static_cast<size_t>(it - names_.begin()) < args.positional.size()) {
                throw TemplateError(std::string(function) +
                                    "() got multiple values for argument '" + k + "'");
            }
        }
    }

    bool has(size_t i) const { return find(i) != nullptr; }
    Value get(size_t i, Value fallback = Value()) const {
        const Value* v = find(i);
        return v != nullptr ? *v : fallback;
    }
    std::string text(size_t i, std::string fallback) const {
        const Value* v = find(i);
        if (v == nullptr) {
            return fallback;
        }
        if (!v->isString()) {
            throw TemplateError("argument '" + std::string(names_[i]) + "' must be a string, not " +
                                v->typeName());
        }
        return v->asString();
    }

  private:
    const Value* find(size_t i) const {
        if (i < args_.positional.size()) {
            return &args_.positional[i];
        }
        for (const auto& [k, v] : args_.keyword) {
            if (k == names_[i]) {
                return &v;
            }
        }
        return nullptr;
    }

    const CallArgs& args_;
    std::vector<std::string_view> names_;
};

Value makeList(std::vector<Value> items) {
    return Value::list(std::move(items));
}

int64_t lengthOf(const Value& v) {
    switch (v.kind()) {
        case Value::Kind::Undefined:
            return 0;
        case Value::Kind::String:
            return static_cast<int64_t>(text::codepointCount(v.asString()));
        case Value::Kind::List:
            return static_cast<int64_t>(v.asList().items.size());
        case Value::Kind::Dict:
            return static_cast<int64_t>(v.asDict().entries.size());
        default:
            throw TemplateError("object of type '" + v.typeName() + "' has no len()");
    }
}

// jinja2's make_attrgetter: "a.b.0" walks items (getitem semantics).
Value attributeOf(const Interpreter& in, const Value& item, const Value& attribute) {
    if (!attribute.isString()) {
        return in.getItem(item, attribute);
    }
    Value current = item;
    const std::string dot = ".";
    for (const std::string& part : text::split(attribute.asString(), &dot, -1)) {
        const bool numeric = !part.empty() && std::all_of(part.begin(), part.end(), [](char c) {
            return c >= '0' && c <= '9';
        });
        current = numeric ? in.getItem(current, Value(static_cast<int64_t>(std::stoll(part))))
                          : in.getItem(current, Value(part));
    }
    return current;
}

Value lowerIfString(const Value& v, bool caseSensitive) {
    if (!caseSensitive && v.isString()) {
        return Value(text::lower(v.asString()));
    }
    return v;
}

std::vector<Value> sortedItems(Interpreter& in, std::vector<Value> items, bool reverse,
                               bool caseSensitive, const Value& attribute) {
    auto key = [&](const Value& item) {
        return lowerIfString(
            attribute.isUndefined() || attribute.isNone() ? item : attributeOf(in, item, attribute),
            caseSensitive);
    };
    std::vector<std::pair<Value, Value>> keyed;
    for (Value& item : items) {
        keyed.emplace_back(key(item), std::move(item));
    }
    std::stable_sort(keyed.begin(), keyed.end(), [&](const auto& a, const auto& b) {
        return reverse ? compareValues(b.first, a.first) < 0 : compareValues(a.first, b.first) < 0;
    });
    std::vector<Value> out;
    for (auto& [k, v] : keyed) {
        out.push_back(std::move(v));
    }
    return out;
}

// Python int(str): optional sign, underscores between digits, surrounding whitespace.
std::optional<int64_t> parseIntText(std::string s, int base) {
    s = text::strip(s, text::StripSide::Both);
    std::string digits;
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '_' && i > 0 && i + 1 < s.size() && s[i - 1] != '_') {
            continue;
        }
        digits.push_back(s[i]);
    }
    bool negative = false;
    size_t start = 0;
    if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) {
        negative = digits[0] == '-';
        start = 1;
    }
    if (base == 16 && digits.size() > start + 1 && digits[start] == '0' &&
        (digits[start + 1] | 0x20) == 'x') {
        start += 2;
    }
    int64_t value = 0;
    const char* first = digits.data() + start;
    const char* last = digits.data() + digits.size();
    if (first == last) {
        return std::nullopt;
    }
    const auto r = std::from_chars(first, last, value, base);
    if (r.ec != std::errc() || r.ptr != last) {
        return std::nullopt;
    }
    return negative ? -value : value;
}

std::optional<double> parseFloatText(const std::string& raw) {
    std::string s = text::lower(text::strip(raw, text::StripSide::Both));
    if (s == "nan" || s == "+nan" || s == "-nan") {
        return std::nan("");
    }
    if (s == "inf" || s == "+inf" || s == "infinity" || s == "+infinity") {
        return HUGE_VAL;
    }
    if (s == "-inf" || s == "-infinity") {
        return -HUGE_VAL;
    }
    if (!s.empty() && s[0] == '+') {
        s.erase(0, 1);
    }
    double d = 0;
    const auto r = std::from_chars(s.data(), s.data() + s.size(), d);
    if (s.empty() || r.ec != std::errc() || r.ptr != s.data() + s.size()) {
        return std::nullopt;
    }
    return d;
}

std::string htmlEscape(std::string_view s) {
    std::string out;
    for (char c : s) {
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&#34;";
                break;
            case '\'':
                out += "&#39;";
                break;
            default:
                out.push_back(c);
        }
    }
    return out;
}

// jinja2's `title` filter (not str.title): capitalise after whitespace, '-', '(', '{', '[', '<'.
std::string jinjaTitle(std::string_view s) {
    std::u32string cps = text::decode(s);
    bool wordStart = true;
    for (char32_t& c : cps) {
        const bool separator =
            text::isSpace(c) || c == '-' || c == '(' || c == '{' || c == '[' || c == '<';
        if (separator) {
            wordStart = true;
            continue;
        }
        c = wordStart ? text::toUpper(c) : text::toLower(c);
        wordStart = false;
    }
    return text::encode(cps);
}

std::vector<std::string> splitLines(const std::string& s) {
    std::vector<std::string> lines;
    std::string current;
    for (size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        if (c == '\n' || c == '\r' || c == '\v' || c == '\f') {
            lines.push_back(current);
            current.clear();
            if (c == '\r' && i + 1 < s.size() && s[i + 1] == '\n') {
                ++i;
            }
        } else {
            current.push_back(c);
        }
    }
    if (!current.empty()) {
        lines.push_back(current);
    }
    return lines;
}

Value indentFilter(const Value& input, const CallArgs& a) {
    Args args(a, "indent", {"width", "first", "blank"});
    const Value width = args.get(0, Value(4));
    const std::string indentation =
        width.isString()
            ? width.asString()
            : std::string(static_cast<size_t>(std::max<int64_t>(0, width.asInt())), ' ');
    const std::string s = input.str() + "\n";
    const std::vector<std::string> lines = splitLines(s);
    std::string out;
    if (args.get(2, Value(false)).truthy()) {
        for (size_t i = 0; i < lines.size(); ++i) {
            out += (i == 0 ? "" : "\n" + indentation) + lines[i];
        }
    } else {
        out = lines.empty() ? "" : lines[0];
        for (size_t i = 1; i < lines.size(); ++i) {
            out += "\n" + (lines[i].empty() ? "" : indentation + lines[i]);
        }
    }
    if (args.get(1, Value(false)).truthy()) {
        out = indentation + out;
    }
    return Value(out);
}

Value tojsonFilter(const Value& input, const CallArgs& a) {
    Args args(a, "tojson", {"ensure_ascii", "indent", "separators", "sort_keys"});
    JsonStyle style;
    style.ensureAscii = args.get(0, Value(false)).truthy();
    const Value indent = args.get(1, Value(nullptr));
    if (indent.isString()) {
        style.indent = indent.asString();
    } else if (indent.isInt() || indent.isBool()) {
        style.indent = std::string(static_cast<size_t>(std::max<int64_t>(0, indent.asInt())), ' ');
    } else if (!indent.isNone()) {
        throw TemplateError("tojson: indent must be an int or a string");
    }
    if (style.indent) {
        style.itemSeparator = ",";
    }
    const Value separators = args.get(2, Value(nullptr));
    if (!separators.isNone()) {
        if (!separators.isList() || separators.asList().items.size() != 2 ||
            !separators.asList().items[0].isString() || !separators.asList().items[1].isString()) {
            throw TemplateError("tojson: separators must be a pair of strings");
        }
        style.itemSeparator = separators.asList().items[0].asString();
        style.keySeparator = separators.asList().items[1].asString();
    }
    style.sortKeys = args.get(3, Value(false)).truthy();
    return Value(toJson(input, style));
}

Value roundFilter(const Value& input, const CallArgs& a) {
    Args args(a, "round", {"precision", "method"});
    const Value precisionValue = args.get(0, Value(0));
    const std::string method = args.text(1, "common");
    if (method != "common" && method != "ceil" && method != "floor") {
        throw TemplateError("method must be common, ceil or floor");
    }
    if (!input.isNumber()) {
        throw TemplateError("round: '" + input.typeName() + "' is not a number");
    }
    const int64_t precision = precisionValue.asInt();
    if (method == "common" && !input.isFloat()) {
        return Value(input.asInt());
    }
    const double scale = std::pow(10.0, static_cast<double>(precision));
    const double x = input.asFloat() * scale;
    double r = 0;
    if (method == "ceil") {
        r = std::ceil(x);
    } else if (method == "floor") {
        r = std::floor(x);
    } else {
        std::fesetround(FE_TONEAREST);
        r = std::nearbyint(x);
    }
    return Value(r / scale);
}

using FilterFn = std::function<Value(Interpreter&, const Value&, CallArgs&)>;
using TestFn = std::function<bool(Interpreter&, const Value&, CallArgs&)>;

Value selectOrReject(Interpreter& in, const Value& input, CallArgs& args, bool select,
                     bool byAttribute) {
    size_t offset = 0;
    Value attribute;
    if (byAttribute) {
        if (args.positional.empty()) {
            throw TemplateError("Missing parameter for attribute name");
        }
        attribute = args.positional[0];
        offset = 1;
    }
    std::string testName;
    CallArgs testArgs;
    const bool hasTestName = args.positional.size() > offset;
    if (hasTestName) {
        if (!args.positional[offset].isString()) {
            throw TemplateError("test name must be a string");
        }
        testName = args.positional[offset].asString();
        if (!hasTest(testName)) {
            throw TemplateError("No test named '" + testName + "'");
        }
        testArgs.positional.assign(args.positional.begin() + static_cast<long>(offset) + 1,
                                   args.positional.end());
        testArgs.keyword = args.keyword;
    }
    std::vector<Value> out;
    for (const Value& item : in.iterate(input)) {
        const Value subject = byAttribute ? attributeOf(in, item, attribute) : item;
        CallArgs callArgs = testArgs;
        const bool passed =
            hasTestName ? applyTest(in, testName, subject, callArgs) : subject.truthy();
        if (passed == select) {
            out.push_back(item);
        }
    }
    return makeList(std::move(out));
}

Value mapFilter(Interpreter& in, const Value& input, CallArgs& args) {
    std::vector<Value> out;
    if (args.positional.empty()) {
        Value attribute;
        Value fallback;
        for (const auto& [k, v] : args.keyword) {
            if (k == "attribute") {
                attribute = v;
            } else if (k == "default") {
                fallback = v;
            } else {
                throw TemplateError("Unexpected keyword argument '" + k + "'");
            }
        }
        if (attribute.isUndefined()) {
            throw TemplateError("map requires a filter name or attribute=");
        }
        for (const Value& item : in.iterate(input)) {
            Value v = attributeOf(in, item, attribute);
            out.push_back(v.isUndefined() && !fallback.isUndefined() ? fallback : v);
        }
        return makeList(std::move(out));
    }
    if (!args.positional[0].isString() || !hasFilter(args.positional[0].asString())) {
        throw TemplateError("No filter named " + args.positional[0].repr());
    }
    const std::string name = args.positional[0].asString();
    CallArgs filterArgs;
    filterArgs.positional.assign(args.positional.begin() + 1, args.positional.end());
    filterArgs.keyword = args.keyword;
    for (const Value& item : in.iterate(input)) {
        CallArgs callArgs = filterArgs;
        out.push_back(applyFilter(in, name, item, callArgs));
    }
    return makeList(std::move(out));
}

Value minMax(Interpreter& in, const Value& input, CallArgs& a, bool wantMax) {
    Args args(a, wantMax ? "max" : "min", {"case_sensitive", "attribute"});
    const bool caseSensitive = args.get(0, Value(false)).truthy();
    const Value attribute = args.get(1, Value(nullptr));
    std::vector<Value> items = in.iterate(input);
    if (items.empty()) {
        return Value();
    }
    auto key = [&](const Value& item) {
        return lowerIfString(attribute.isNone() ? item : attributeOf(in, item, attribute),
                             caseSensitive);
    };
    size_t best = 0;
    for (size_t i = 1; i < items.size(); ++i) {
        const int c = compareValues(key(items[i]), key(items[best]));
        if (wantMax ? c > 0 : c < 0) {
            best = i;
        }
    }
    return items[best];
}

const std::unordered_map<std::string, FilterFn>& filters() {
    static const std::unordered_map<std::string, FilterFn> table = [] {
        std::unordered_map<std::string, FilterFn> t;
        t["abs"] = [](Interpreter&, const Value& v, CallArgs&) {
            if (v.isFloat()) {
                return Value(std::fabs(v.asFloat()));
            }
            if (v.isInt() || v.isBool()) {
                return Value(static_cast<int64_t>(std::llabs(v.asInt())));
            }
            throw TemplateError("bad operand type for abs(): '" + v.typeName() + "'");
        };
        t["attr"] = [](Interpreter& in, const Value& v, CallArgs& a) {
            Args args(a, "attr", {"name"});
            return in.getAttr(v, args.text(0, ""));
        };
        t["capitalize"] = [](Interpreter&, const Value& v, CallArgs&) {
            return Value(text::capitalize(v.str()));
        };
        t["length"] = [](Interpreter&, const Value& v, CallArgs&) { return Value(lengthOf(v)); };
        t["count"] = t["length"];
        t["default"] = [](Interpreter&, const Value& v, CallArgs& a) {
            Args args(a, "default", {"default_value", "boolean"});
            const bool boolean = args.get(1, Value(false)).truthy();
            if (v.isUndefined() || (boolean && !v.truthy())) {
                return args.get(0, Value(""));
            }
            return v;
        };
        t["d"] = t["default"];
        t["dictsort"] = [](Interpreter& in, const Value& v, CallArgs& a) {
            Args args(a, "dictsort", {"case_sensitive", "by", "reverse"});
            if (!v.isDict()) {
                throw TemplateError("dictsort: value is not a mapping");
            }
            const std::string by = args.text(1, "key");
            if (by != "key" && by != "value") {
                throw TemplateError("You can only sort by either 'key' or 'value'");
            }
            std::vector<Value> pairs;
            for (const auto& [k, val] : v.asDict().entries) {
                pairs.push_back(Value::list({k, val}, true));
            }
            return makeList(sortedItems(in, std::move(pairs), args.get(2, Value(false)).truthy(),
                                        args.get(0, Value(false)).truthy(),
                                        Value(by == "key" ? 0 : 1)));
        };
        t["escape"] = [](Interpreter&, const Value& v, CallArgs&) {
            return Value(htmlEscape(v.str()));
        };
        t["e"] = t["escape"];
        t["first"] = [](Interpreter& in, const Value& v, CallArgs&) {
            const std::vector<Value> items = in.iterate(v);
            return items.empty() ? Value() : items.front();
        };
        t["last"] = [](Interpreter& in, const Value& v, CallArgs&) {
            const std::vector<Value> items = in.iterate(v);
            return items.empty() ? Value() : items.back();
        };
        t["float"] = [](Interpreter&, const Value& v, CallArgs& a) {
            Args args(a, "float", {"default"});
            if (v.isNumber()) {
                return Value(v.asFloat());
            }
            if (v.isString()) {
                if (auto d = parseFloatText(v.asString())) {
                    return Value(*d);
                }
            }
            return args.get(0, Value(0.0));
        };
        t["int"] = [](Interpreter&, const Value& v, CallArgs& a) {
            Args args(a, "int", {"default", "base"});
            if (v.isInt() || v.isBool()) {
                return Value(v.asInt());
            }
            if (v.isFloat() && std::isfinite(v.asFloat())) {
                return Value(static_cast<int64_t>(v.asFloat()));
            }
            if (v.isString()) {
                if (auto i = parseIntText(v.asString(),
                                          static_cast<int>(args.get(1, Value(10)).asInt()))) {
                    return Value(*i);
                }
                if (auto d = parseFloatText(v.asString()); d && std::isfinite(*d)) {
                    return Value(static_cast<int64_t>(*d));
                }
            }
            return args.get(0, Value(0));
        };
        t["indent"] = [](Interpreter&, const Value& v, CallArgs& a) { return indentFilter(v, a); };
        t["items"] = [](Interpreter&, const Value& v, CallArgs&) {
            if (v.isUndefined()) {
                return makeList({});
            }
            if (!v.isDict()) {
                throw TemplateError("Can only get item pairs from a mapping.");
            }
            std::vector<Value> pairs;
            for (const auto& [k, val] : v.asDict().entries) {
                pairs.push_back(Value::list({k, val}, true));
            }
            return makeList(std::move(pairs));
        };
        t["join"] = [](Interpreter& in, const Value& v, CallArgs& a) {
            Args args(a, "join", {"d", "attribute"});
            const std::string separator = args.get(0, Value("")).str();
            const Value attribute = args.get(1, Value(nullptr));
            std::string out;
            bool first = true;
            for (const Value& item : in.iterate(v)) {
                if (!first) {
                    out += separator;
                }
                first = false;
                out += (attribute.isNone() ? item : attributeOf(in, item, attribute)).str();
                in.checkSize(out.size());
            }
            return Value(std::move(out));
        };
        t["list"] = [](Interpreter& in, const Value& v, CallArgs&) {
            return makeList(in.iterate(v));
        };
        t["lower"] = [](Interpreter&, const Value& v, CallArgs&) {
            return Value(text::lower(v.str()));
        };
        t["upper"] = [](Interpreter&, const Value& v, CallArgs&) {
            return Value(text::upper(v.str()));
        };
        t["title"] = [](Interpreter&, const Value& v, CallArgs&) {
            return Value(jinjaTitle(v.str()));
        };
        t["trim"] = [](Interpreter&, const Value& v, CallArgs& a) {
            Args args(a, "trim", {"chars"});
            const Value chars = args.get(0, Value(nullptr));
            if (chars.isString()) {
                const std::u32string set = text::decode(chars.asString());
                return Value(text::strip(v.str(), text::StripSide::Both, &set));
            }
            return Value(text::strip(v.str(), text::StripSide::Both));
        };
        t["string"] = [](Interpreter&, const Value& v, CallArgs&) { return Value(v.str()); };
        t["safe"] = t["string"];
        t["map"] = mapFilter;
        t["max"] = [](Interpreter& in, const Value& v, CallArgs& a) {
            return minMax(in, v, a, true);
        };
        t["min"] = [](Interpreter& in, const Value& v, CallArgs& a) {
            return minMax(in, v, a, false);
        };
        t["select"] = [](Interpreter& in, const Value& v, CallArgs& a) {
            return selectOrReject(in, v, a, true, false);
        };
        t["reject"] = [](Interpreter& in, const Value& v, CallArgs& a) {
            return selectOrReject(in, v, a, false, false);
        };
        t["selectattr"] = [](Interpreter& in, const Value& v, CallArgs& a) {
            return selectOrReject(in, v, a, true, true);
        };
        t["rejectattr"] = [](Interpreter& in, const Value& v, CallArgs& a) {
            return selectOrReject(in, v, a, false, true);
        };
        t["replace"] = [](Interpreter& in, const Value& v, CallArgs& a) {
            Args args(a, "replace", {"old", "new", "count"});
            const Value count = args.get(2, Value(nullptr));
            std::string out = text::replace(v.str(), args.get(0).str(), args.get(1).str(),
                                            count.isNone() ? -1 : count.asInt());
            in.checkSize(out.size());
            return Value(std::move(out));
        };
        t["reverse"] = [](Interpreter& in, const Value& v, CallArgs&) {
            if (v.isString()) {
                std::u32string cps = text::decode(v.asString());
                std::reverse(cps.begin(), cps.end());
                return Value(text::encode(cps));
            }
            std::vector<Value> items = in.iterate(v);
            std::reverse(items.begin(), items.end());
            return makeList(std::move(items));
        };
        t["round"] = [](Interpreter&, const Value& v, CallArgs& a) { return roundFilter(v, a); };
        t["sort"] = [](Interpreter& in, const Value& v, CallArgs& a) {
            Args args(a, "sort", {"reverse", "case_sensitive", "attribute"});
            return makeList(sortedItems(in, in.iterate(v), args.get(0, Value(false)).truthy(),
                                        args.get(1, Value(false)).truthy(),
                                        args.get(2, Value(nullptr))));
        };
        t["sum"] = [](Interpreter& in, const Value& v, CallArgs& a) {
            Args args(a, "sum", {"attribute", "start"});
            const Value attribute = args.get(0, Value(nullptr));
            Value total = args.get(1, Value(0));
            for (const Value& item : in.iterate(v)) {
                const Value x = attribute.isNone() ? item : attributeOf(in, item, attribute);
                if (!x.isNumber() || !total.isNumber()) {
                    throw TemplateError("unsupported operand type(s) for +: '" + total.typeName() +
                                        "' and '" + x.typeName() + "'");
                }
                total = (x.isFloat() || total.isFloat()) ? Value(total.asFloat() + x.asFloat())
                                                         : Value(total.asInt() + x.asInt());
            }
            return total;
        };
        t["tojson"] = [](Interpreter&, const Value& v, CallArgs& a) { return tojsonFilter(v, a); };
        t["unique"] = [](Interpreter& in, const Value& v, CallArgs& a) {
            Args args(a, "unique", {"case_sensitive", "attribute"});
            const bool caseSensitive = args.get(0, Value(false)).truthy();
            const Value attribute = args.get(1, Value(nullptr));
            std::vector<Value> seen;
            std::vector<Value> out;
            for (const Value& item : in.iterate(v)) {
                const Value key = lowerIfString(
                    attribute.isNone() ? item : attributeOf(in, item, attribute), caseSensitive);
                if (std::none_of(seen.begin(), seen.end(),
                                 [&](const Value& s) { return valuesEqual(s, key); })) {
                    seen.push_back(key);
                    out.push_back(item);
                }
            }
            return makeList(std::move(out));
        };
        t["wordcount"] = [](Interpreter&, const Value& v, CallArgs&) {
            int64_t words = 0;
            bool inWord = false;
            for (char32_t c : text::decode(v.str())) {
                const bool wordChar = text::isAlpha(c) || (c >= '0' && c <= '9') || c == '_' ||
                                      (c > 0x7F && !text::isSpace(c));
                if (wordChar && !inWord) {
                    ++words;
                }
                inWord = wordChar;
            }
            return Value(words);
        };
        return t;
    }();
    return table;
}

bool isSequenceLike(const Value& v) {
    return v.isString() || v.isList() || v.isDict() || v.isUndefined();
}

const std::unordered_map<std::string, TestFn>& tests() {
    static const std::unordered_map<std::string, TestFn> table = [] {
        std::unordered_map<std::string, TestFn> t;
        auto one = [](CallArgs& a, const char* name) {
            Args args(a, name, {"other"});
            if (!args.has(0)) {
                throw TemplateError(std::string(name) + "() missing required argument 'other'");
            }
            return args.get(0);
        };
        t["defined"] = [](Interpreter&, const Value& v, CallArgs&) { return !v.isUndefined(); };
        t["undefined"] = [](Interpreter&, const Value& v, CallArgs&) { return v.isUndefined(); };
        t["none"] = [](Interpreter&, const Value& v, CallArgs&) { return v.isNone(); };
        t["boolean"] = [](Interpreter&, const Value& v, CallArgs&) { return v.isBool(); };
        t["true"] = [](Interpreter&, const Value& v, CallArgs&) {
            return v.isBool() && v.asBool();
        };
        t["false"] = [](Interpreter&, const Value& v, CallArgs&) {
            return v.isBool() && !v.asBool();
        };
        t["integer"] = [](Interpreter&, const Value& v, CallArgs&) { return v.isInt(); };
        t["float"] = [](Interpreter&, const Value& v, CallArgs&) { return v.isFloat(); };
        t["number"] = [](Interpreter&, const Value& v, CallArgs&) { return v.isNumber(); };
        t["string"] = [](Interpreter&, const Value& v, CallArgs&) { return v.isString(); };
        t["mapping"] = [](Interpreter&, const Value& v, CallArgs&) { return v.isDict(); };
        t["iterable"] = [](Interpreter&, const Value& v, CallArgs&) { return isSequenceLike(v); };
        t["sequence"] = [](Interpreter&, const Value& v, CallArgs&) { return isSequenceLike(v); };
        t["callable"] = [](Interpreter&, const Value& v, CallArgs&) { return v.isFunction(); };
        t["odd"] = [](Interpreter&, const Value& v, CallArgs&) {
            if (!v.isInt() && !v.isBool()) {
                throw TemplateError("odd: value is not an integer");
            }
            return v.asInt() % 2 != 0;
        };
        t["even"] = [](Interpreter&, const Value& v, CallArgs&) {
            if (!v.isInt() && !v.isBool()) {
                throw TemplateError("even: value is not an integer");
            }
            return v.asInt() % 2 == 0;
        };
        t["divisibleby"] = [](Interpreter&, const Value& v, CallArgs& a) {
            Args args(a, "divisibleby", {"num"});
            const Value n = args.get(0);
            if (!v.isNumber() || !n.isNumber()) {
                throw TemplateError("divisibleby needs numbers");
            }
            if (v.isFloat() || n.isFloat()) {
                if (n.asFloat() == 0.0) {
                    throw TemplateError("float modulo");
                }
                return std::fmod(v.asFloat(), n.asFloat()) == 0.0;
            }
            if (n.asInt() == 0) {
                throw TemplateError("integer division or modulo by zero");
            }
            return v.asInt() % n.asInt() == 0;
        };
        t["eq"] = [one](Interpreter&, const Value& v, CallArgs& a) {
            return valuesEqual(v, one(a, "eq"));
        };
        t["equalto"] = t["eq"];
        t["=="] = t["eq"];
        t["ne"] = [one](Interpreter&, const Value& v, CallArgs& a) {
            return !valuesEqual(v, one(a, "ne"));
        };
        t["!="] = t["ne"];
        t["lt"] = [one](Interpreter&, const Value& v, CallArgs& a) {
            return compareValues(v, one(a, "lt")) < 0;
        };
        t["lessthan"] = t["lt"];
        t["<"] = t["lt"];
        t["le"] = [one](Interpreter&, const Value& v, CallArgs& a) {
            return compareValues(v, one(a, "le")) <= 0;
        };
        t["<="] = t["le"];
        t["gt"] = [one](Interpreter&, const Value& v, CallArgs& a) {
            return compareValues(v, one(a, "gt")) > 0;
        };
        t["greaterthan"] = t["gt"];
        t[">"] = t["gt"];
        t["ge"] = [one](Interpreter&, const Value& v, CallArgs& a) {
            return compareValues(v, one(a, "ge")) >= 0;
        };
        t[">="] = t["ge"];
        t["in"] = [one](Interpreter&, const Value& v, CallArgs& a) {
            return contains(one(a, "in"), v);
        };
        t["sameas"] = [one](Interpreter&, const Value& v, CallArgs& a) {
            const Value other = one(a, "sameas");
            if (v.kind() != other.kind()) {
                return false;
            }
            if (v.identity() != nullptr) {
                return v.identity() == other.identity();
            }
            return valuesEqual(v, other);
        };
        t["lower"] = [](Interpreter&, const Value& v, CallArgs&) {
            const std::string s = v.str();
            return text::lower(s) == s && text::upper(s) != s;
        };
        t["upper"] = [](Interpreter&, const Value& v, CallArgs&) {
            const std::string s = v.str();
            return text::upper(s) == s && text::lower(s) != s;
        };
        t["filter"] = [](Interpreter&, const Value& v, CallArgs&) {
            return v.isString() && hasFilter(v.asString());
        };
        t["test"] = [](Interpreter&, const Value& v, CallArgs&) {
            return v.isString() && hasTest(v.asString());
        };
        t["escaped"] = [](Interpreter&, const Value&, CallArgs&) { return false; };
        return t;
    }();
    return table;
}

Value bound(std::string name, std::function<Value(CallArgs&)> call) {
    return Value::function(std::move(name), std::move(call));
}

bool affixMatch(const std::string& s, const Value& affix, bool prefix) {
    auto one = [&](const Value& a) {
        if (!a.isString()) {
            throw TemplateError(std::string(prefix ? "startswith" : "endswith") +
                                " first arg must be str or a tuple of str, not " + a.typeName());
        }
        const std::string& x = a.asString();
        if (x.size() > s.size()) {
            return false;
        }
        return prefix ? s.compare(0, x.size(), x) == 0
                      : s.compare(s.size() - x.size(), x.size(), x) == 0;
    };
    if (affix.isList() && affix.asList().isTuple) {
        return std::any_of(affix.asList().items.begin(), affix.asList().items.end(), one);
    }
    return one(affix);
}

Value stringMethod(const std::string& s, const std::string& name) {
    auto stripper = [s](text::StripSide side, const char* fn) {
        return [s, side, fn](CallArgs& a) {
            Args args(a, fn, {"chars"});
            const Value chars = args.get(0, Value(nullptr));
            if (chars.isString()) {
                const std::u32string set = text::decode(chars.asString());
                return Value(text::strip(s, side, &set));
            }
            return Value(text::strip(s, side));
        };
    };
    if (name == "strip") {
        return bound(name, stripper(text::StripSide::Both, "strip"));
    }
    if (name == "lstrip") {
        return bound(name, stripper(text::StripSide::Left, "lstrip"));
    }
    if (name == "rstrip") {
        return bound(name, stripper(text::StripSide::Right, "rstrip"));
    }
    if (name == "split") {
        return bound(name, [s](CallArgs& a) {
            Args args(a, "split", {"sep", "maxsplit"});
            const Value sep = args.get(0, Value(nullptr));
            const int64_t maxSplit = args.get(1, Value(-1)).asInt();
            std::vector<std::string> parts;
            if (sep.isNone()) {
                parts = text::split(s, nullptr, maxSplit);
            } else {
                if (!sep.isString() || sep.asString().empty()) {
                    throw TemplateError("split: separator must be a non-empty string");
                }
                parts = text::split(s, &sep.asString(), maxSplit);
            }
            std::vector<Value> items(parts.begin(), parts.end());
            return makeList(std::move(items));
        });
    }
    if (name == "startswith" || name == "endswith") {
        const bool prefix = name == "startswith";
        return bound(name, [s, prefix](CallArgs& a) {
            Args args(a, prefix ? "startswith" : "endswith", {"prefix"});
            return Value(affixMatch(s, args.get(0), prefix));
        });
    }
    if (name == "replace") {
        return bound(name, [s](CallArgs& a) {
            Args args(a, "replace", {"old", "new", "count"});
            if (!args.get(0).isString() || !args.get(1).isString()) {
                throw TemplateError("replace() arguments must be str");
            }
            return Value(text::replace(s, args.get(0).asString(), args.get(1).asString(),
                                       args.get(2, Value(-1)).asInt()));
        });
    }
    using Transform = std::string (*)(std::string_view);
    static const std::unordered_map<std::string, Transform> transforms = {
        {"upper", &text::upper},
        {"lower", &text::lower},
        {"title", &text::pythonTitle},
        {"capitalize", &text::capitalize},
    };
    if (auto it = transforms.find(name); it != transforms.end()) {
        const Transform fn = it->second;
        return bound(name, [s, fn](CallArgs& a) {
            Args args(a, "str method", {});
            return Value(fn(s));
        });
    }
    if (name == "find" || name == "count" || name == "index" || name == "rfind") {
        return bound(name, [s, name](CallArgs& a) {
            Args args(a, name.c_str(), {"sub"});
            if (!args.get(0).isString()) {
                throw TemplateError(name + "() argument must be str");
            }
            const Value subValue = args.get(0);
            const std::string& sub = subValue.asString();
            if (name == "count") {
                if (sub.empty()) {
                    return Value(static_cast<int64_t>(text::codepointCount(s) + 1));
                }
                int64_t n = 0;
                for (size_t p = s.find(sub); p != std::string::npos;
                     p = s.find(sub, p + sub.size())) {
                    ++n;
                }
                return Value(n);
            }
            const size_t hit = name == "rfind" ? s.rfind(sub) : s.find(sub);
            if (hit == std::string::npos) {
                if (name == "index") {
                    throw TemplateError("substring not found");
                }
                return Value(-1);
            }
            return Value(
                static_cast<int64_t>(text::codepointCount(std::string_view(s).substr(0, hit))));
        });
    }
    if (name == "join") {
        return bound(name, [s](CallArgs& a) {
            Args args(a, "join", {"iterable"});
            const Value items = args.get(0);
            std::string out;
            const std::vector<Value> list =
                items.isList() ? items.asList().items : std::vector<Value>{};
            if (!items.isList()) {
                throw TemplateError("join() argument must be a list of str");
            }
            for (size_t i = 0; i < list.size(); ++i) {
                if (!list[i].isString()) {
                    throw TemplateError("sequence item " + std::to_string(i) +
                                        ": expected str instance, " + list[i].typeName() +
                                        " found");
                }
                out += (i == 0 ? "" : s) + list[i].asString();
            }
            return Value(std::move(out));
        });
    }
    using Predicate = bool (*)(char32_t);
    static const std::unordered_map<std::string, Predicate> predicates = {
        {"isspace", [](char32_t c) { return text::isSpace(c); }},
        {"isdigit", [](char32_t c) { return c >= '0' && c <= '9'; }},
        {"isalpha", [](char32_t c) { return text::isAlpha(c); }},
        {"isalnum", [](char32_t c) { return text::isAlpha(c) || (c >= '0' && c <= '9'); }},
    };
    if (auto it = predicates.find(name); it != predicates.end()) {
        const Predicate test = it->second;
        return bound(name, [s, test](CallArgs& a) {
            Args args(a, "str method", {});
            const std::u32string cps = text::decode(s);
            return Value(!cps.empty() && std::all_of(cps.begin(), cps.end(), test));
        });
    }
    if (name == "islower" || name == "isupper") {
        const bool wantLower = name == "islower";
        return bound(name, [s, wantLower](CallArgs& a) {
            Args args(a, "str method", {});
            const std::string lowered = text::lower(s);
            const std::string uppered = text::upper(s);
            const bool cased = lowered != uppered;
            return Value(cased && (wantLower ? lowered == s : uppered == s));
        });
    }
    return Value();
}

Value dictMethod(const Value& self, const std::string& name) {
    if (name == "get") {
        return bound(name, [self](CallArgs& a) {
            Args args(a, "get", {"key", "default"});
            const Value* v = self.asDict().find(args.get(0));
            return v != nullptr ? *v : args.get(1, Value(nullptr));
        });
    }
    if (name == "items" || name == "keys" || name == "values") {
        return bound(name, [self, name](CallArgs& a) {
            Args args(a, name.c_str(), {});
            std::vector<Value> out;
            for (const auto& [k, v] : self.asDict().entries) {
                if (name == "items") {
                    out.push_back(Value::list({k, v}, true));
                } else {
                    out.push_back(name == "keys" ? k : v);
                }
            }
            return makeList(std::move(out));
        });
    }
    return Value();
}

Value listMethod(const Value& self, const std::string& name) {
    if (name == "index" || name == "count") {
        return bound(name, [self, name](CallArgs& a) {
            Args args(a, name.c_str(), {"value"});
            const Value x = args.get(0);
            const auto& items = self.asList().items;
            int64_t n = 0;
            for (size_t i = 0; i < items.size(); ++i) {
                if (valuesEqual(items[i], x)) {
                    if (name == "index") {
                        return Value(static_cast<int64_t>(i));
                    }
                    ++n;
                }
            }
            if (name == "index") {
                throw TemplateError(x.repr() + " is not in list");
            }
            return Value(n);
        });
    }
    return Value();
}

}  // namespace

bool hasFilter(std::string_view name) {
    return filters().count(std::string(name)) != 0;
}

bool hasTest(std::string_view name) {
    return tests().count(std::string(name)) != 0;
}

Value applyFilter(Interpreter& interpreter, const std::string& name, const Value& input,
                  CallArgs& args) {
    const auto it = filters().find(name);
    if (it == filters().end()) {
        throw TemplateError("No filter named '" + name + "'");
    }
    return it->second(interpreter, input, args);
}

bool applyTest(Interpreter& interpreter, const std::string& name, const Value& input,
               CallArgs& args) {
    const auto it = tests().find(name);
    if (it == tests().end()) {
        throw TemplateError("No test named '" + name + "'");
    }
    return it->second(interpreter, input, args);
}

Value lookupMethod(const Value& self, const std::string& name) {
    switch (self.kind()) {
        case Value::Kind::String:
            return stringMethod(self.asString(), name);
        case Value::Kind::Dict:
            return dictMethod(self, name);
        case Value::Kind::List:
            return listMethod(self, name);
        default:
            return Value();
    }
}

void installGlobals(Dict& globals, const std::tm& now) {
    globals.set(Value("range"), Value::function("range", [](CallArgs& a) {
                    Args args(a, "range", {"start", "stop", "step"});
                    for (const Value& v : a.positional) {
                        if (!v.isInt() && !v.isBool()) {
                            throw TemplateError("'" + v.typeName() +
                                                "' object cannot be interpreted as an integer");
                        }
                    }
                    if (a.positional.empty()) {
                        throw TemplateError("range expected at least 1 argument, got 0");
                    }
                    int64_t start = 0;
                    int64_t stop = 0;
                    int64_t stepBy = 1;
                    if (a.positional.size() == 1) {
                        stop = a.positional[0].asInt();
                    } else {
                        start = a.positional[0].asInt();
                        stop = a.positional[1].asInt();
                        stepBy = args.get(2, Value(1)).asInt();
                    }
                    if (stepBy == 0) {
                        throw TemplateError("range() arg 3 must not be zero");
                    }
                    const double count = std::ceil((static_cast<double>(stop) - start) / stepBy);
                    if (count > 1'000'000) {
                        throw TemplateError("range too big");
                    }
                    std::vector<Value> items;
                    for (int64_t i = start; stepBy > 0 ? i < stop : i > stop; i += stepBy) {
                        items.emplace_back(i);
                    }
                    return makeList(std::move(items));
                }));
    auto makeDict = [](CallArgs& a) {
        Dict d;
        if (a.positional.size() > 1) {
            throw TemplateError("expected at most 1 positional argument");
        }
        if (!a.positional.empty()) {
            if (!a.positional[0].isDict()) {
                throw TemplateError("positional argument must be a mapping");
            }
            d = a.positional[0].asDict();
        }
        for (auto& [k, v] : a.keyword) {
            d.set(Value(k), v);
        }
        return d;
    };
    globals.set(Value("namespace"), Value::function("namespace", [makeDict](CallArgs& a) {
                    auto ns = std::make_shared<Namespace>();
                    ns->attributes = makeDict(a);
                    return Value(std::move(ns));
                }));
    globals.set(Value("dict"), Value::function("dict", [makeDict](CallArgs& a) {
                    return Value::dict(makeDict(a));
                }));
    globals.set(Value("raise_exception"),
                Value::function("raise_exception", [](CallArgs& a) -> Value {
                    Args args(a, "raise_exception", {"message"});
                    throw TemplateError(args.get(0).str());
                }));
    globals.set(Value("strftime_now"), Value::function("strftime_now", [now](CallArgs& a) {
                    Args args(a, "strftime_now", {"format"});
                    const std::string format = args.text(0, "");
                    std::vector<char> buffer(format.size() * 8 + 64);
                    const size_t n =
                        std::strftime(buffer.data(), buffer.size(), format.c_str(), &now);
                    return Value(std::string(buffer.data(), n));
                }));
}

}  // namespace parley::chat_template
