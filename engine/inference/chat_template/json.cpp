#include "inference/chat_template/json.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>

#include "inference/chat_template/text.h"

namespace parley::chat_template {
namespace {

constexpr int kMaxJsonDepth = 512;

class JsonReader {
  public:
    explicit JsonReader(std::string_view s) : s_(s) {}

    Value document() {
        Value v = value(0);
        skipSpace();
        if (pos_ != s_.size()) {
            fail("unexpected trailing characters");
        }
        return v;
    }

  private:
    [[noreturn]] void fail(const std::string& what) {
        throw TemplateError("invalid JSON at offset " + std::to_string(pos_) + ": " + what);
    }

    void skipSpace() {
        while (pos_ < s_.size() &&
               (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r')) {
            ++pos_;
        }
    }

    bool consume(std::string_view word) {
        if (s_.substr(pos_, word.size()) == word) {
            pos_ += word.size();
            return true;
        }
        return false;
    }

    Value value(int depth) {
        if (depth > kMaxJsonDepth) {
            fail("nesting too deep");
        }
        skipSpace();
        if (pos_ >= s_.size()) {
            fail("unexpected end of input");
        }
        const char c = s_[pos_];
        if (c == '{') {
            return object(depth);
        }
        if (c == '[') {
            return array(depth);
        }
        if (c == '"') {
            return Value(string());
        }
        if (consume("true")) {
            return Value(true);
        }
        if (consume("false")) {
            return Value(false);
        }
        if (consume("null")) {
            return Value(nullptr);
        }
        if (consume("NaN")) {
            return Value(std::numeric_limits<double>::quiet_NaN());
        }
        if (consume("Infinity")) {
            return Value(std::numeric_limits<double>::infinity());
        }
        if (consume("-Infinity")) {
            return Value(-std::numeric_limits<double>::infinity());
        }
        if (c == '-' || (c >= '0' && c <= '9')) {
            return number();
        }
        fail(std::string("unexpected character '") + c + "'");
    }

    Value object(int depth) {
        ++pos_;
        Dict d;
        skipSpace();
        if (consume("}")) {
            return Value::dict(std::move(d));
        }
        while (true) {
            skipSpace();
            if (pos_ >= s_.size() || s_[pos_] != '"') {
                fail("expected a string key");
            }
            std::string key = string();
            skipSpace();
            if (!consume(":")) {
                fail("expected ':'");
            }
            Value v = value(depth + 1);
            d.set(Value(std::move(key)), std::move(v));
            skipSpace();
            if (consume(",")) {
                continue;
            }
            if (consume("}")) {
                return Value::dict(std::move(d));
            }
            fail("expected ',' or '}'");
        }
    }

    Value array(int depth) {
        ++pos_;
        std::vector<Value> items;
        skipSpace();
        if (consume("]")) {
            return Value::list(std::move(items));
        }
        while (true) {
            items.push_back(value(depth + 1));
            skipSpace();
            if (consume(",")) {
                continue;
            }
            if (consume("]")) {
                return Value::list(std::move(items));
            }
            fail("expected ',' or ']'");
        }
    }

    unsigned hex4() {
        if (pos_ + 4 > s_.size()) {
            fail("truncated \\u escape");
        }
        unsigned v = 0;
        for (int i = 0; i < 4; ++i) {
            const char h = s_[pos_++];
            v <<= 4;
            if (h >= '0' && h <= '9') {
                v |= h - '0';
            } else if (h >= 'a' && h <= 'f') {
                v |= h - 'a' + 10;
            } else if (h >= 'A' && h <= 'F') {
                v |= h - 'A' + 10;
            } else {
                fail("bad \\u escape");
            }
        }
        return v;
    }

    std::string string() {
        ++pos_;
        std::string out;
        while (true) {
            if (pos_ >= s_.size()) {
                fail("unterminated string");
            }
            const char c = s_[pos_++];
            if (c == '"') {
                return out;
            }
            if (static_cast<unsigned char>(c) < 0x20) {
                fail("control character in string");
            }
            if (c != '\\') {
                out.push_back(c);
                continue;
            }
            if (pos_ >= s_.size()) {
                fail("unterminated escape");
            }
            const char e = s_[pos_++];
            switch (e) {
                case '"':
                case '\\':
                case '/':
                    out.push_back(e);
                    break;
                case 'b':
                    out.push_back('\b');
                    break;
                case 'f':
                    out.push_back('\f');
                    break;
                case 'n':
                    out.push_back('\n');
                    break;
                case 'r':
                    out.push_back('\r');
                    break;
                case 't':
                    out.push_back('\t');
                    break;
                case 'u': {
                    char32_t cp = hex4();
                    if (cp >= 0xD800 && cp < 0xDC00 && s_.substr(pos_, 2) == "\\u") {
                        const size_t save = pos_;
                        pos_ += 2;
                        const unsigned low = hex4();
                        if (low >= 0xDC00 && low < 0xE000) {
                            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
                        } else {
                            pos_ = save;
                        }
                    }
                    text::appendUtf8(out, cp);
                    break;
                }
                default:
                    fail(std::string("bad escape '\\") + e + "'");
            }
        }
    }

    Value number() {
        const size_t start = pos_;
        if (s_[pos_] == '-') {
            ++pos_;
        }
        bool isFloat = false;
        while (pos_ < s_.size()) {
            const char c = s_[pos_];
            if (c >= '0' && c <= '9') {
                ++pos_;
            } else if (c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-') {
                isFloat = true;
                ++pos_;
            } else {
                break;
            }
        }
        const char* first = s_.data() + start;
        const char* last = s_.data() + pos_;
        if (!isFloat) {
            int64_t i = 0;
            const auto r = std::from_chars(first, last, i);
            if (r.ec == std::errc() && r.ptr == last) {
                return Value(i);
            }
        }
        double d = 0;
        const auto r = std::from_chars(first, last, d);
        if (r.ec != std::errc() || r.ptr != last) {
            pos_ = start;
            fail("bad number");
        }
        return Value(d);
    }

    std::string_view s_;
    size_t pos_ = 0;
};

void writeString(std::string& out, std::string_view s, bool ensureAscii) {
    out.push_back('"');
    for (char32_t c : text::decode(s)) {
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            case '\b':
                out += "\\b";
                break;
            case '\f':
                out += "\\f";
                break;
            default: {
                char buf[16];
                if (c < 0x20 || (ensureAscii && c > 0x7E)) {
                    if (c >= 0x10000) {
                        const char32_t v = c - 0x10000;
                        std::snprintf(buf, sizeof buf, "\\u%04x\\u%04x",
                                      static_cast<unsigned>(0xD800 + (v >> 10)),
                                      static_cast<unsigned>(0xDC00 + (v & 0x3FF)));
                    } else {
                        std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
                    }
                    out += buf;
                } else {
                    text::appendUtf8(out, c);
                }
            }
        }
    }
    out.push_back('"');
}

std::string floatJson(double d) {
    if (std::isnan(d)) {
        return "NaN";
    }
    if (std::isinf(d)) {
        return d > 0 ? "Infinity" : "-Infinity";
    }
    return pythonFloatRepr(d);
}

std::string keyText(const Value& key) {
    switch (key.kind()) {
        case Value::Kind::String:
            return key.asString();
        case Value::Kind::Bool:
            return key.asBool() ? "true" : "false";
        case Value::Kind::None:
            return "null";
        case Value::Kind::Int:
            return std::to_string(key.asInt());
        case Value::Kind::Float:
            return floatJson(key.asFloat());
        default:
            throw TemplateError("keys must be str, int, float, bool or None, not " +
                                key.typeName());
    }
}

void write(std::string& out, const Value& v, const JsonStyle& style, int level) {
    if (level > kMaxJsonDepth) {
        throw TemplateError("tojson: value nested too deeply");
    }
    auto newline = [&](int depth) {
        out.push_back('\n');
        for (int i = 0; i < depth; ++i) {
            out += *style.indent;
        }
    };
    switch (v.kind()) {
        case Value::Kind::None:
            out += "null";
            return;
        case Value::Kind::Bool:
            out += v.asBool() ? "true" : "false";
            return;
        case Value::Kind::Int:
            out += std::to_string(v.asInt());
            return;
        case Value::Kind::Float:
            out += floatJson(v.asFloat());
            return;
        case Value::Kind::String:
            writeString(out, v.asString(), style.ensureAscii);
            return;
        case Value::Kind::List: {
            const auto& items = v.asList().items;
            if (items.empty()) {
                out += "[]";
                return;
            }
            out.push_back('[');
            for (size_t i = 0; i < items.size(); ++i) {
                if (i > 0) {
                    out += style.itemSeparator;
                }
                if (style.indent) {
                    newline(level + 1);
                }
                write(out, items[i], style, level + 1);
            }
            if (style.indent) {
                newline(level);
            }
            out.push_back(']');
            return;
        }
        case Value::Kind::Dict: {
            std::vector<std::pair<std::string, const Value*>> entries;
            for (const auto& [k, val] : v.asDict().entries) {
                entries.emplace_back(keyText(k), &val);
            }
            if (entries.empty()) {
                out += "{}";
                return;
            }
            if (style.sortKeys) {
                std::stable_sort(entries.begin(), entries.end(),
                                 [](const auto& a, const auto& b) { return a.first < b.first; });
            }
            out.push_back('{');
            for (size_t i = 0; i < entries.size(); ++i) {
                if (i > 0) {
                    out += style.itemSeparator;
                }
                if (style.indent) {
                    newline(level + 1);
                }
                writeString(out, entries[i].first, style.ensureAscii);
                out += style.keySeparator;
                write(out, *entries[i].second, style, level + 1);
            }
            if (style.indent) {
                newline(level);
            }
            out.push_back('}');
            return;
        }
        default:
            throw TemplateError("Object of type " + v.typeName() + " is not JSON serializable");
    }
}

}  // namespace

Result<Value> parseJson(std::string_view json) {
    try {
        return JsonReader(json).document();
    } catch (const TemplateError& e) {
        return makeError(e.what());
    }
}

std::string toJson(const Value& value, const JsonStyle& style) {
    std::string out;
    write(out, value, style, 0);
    return out;
}

}  // namespace parley::chat_template
