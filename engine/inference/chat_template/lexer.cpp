#include "inference/chat_template/lexer.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "inference/chat_template/text.h"
#include "inference/chat_template/value.h"

namespace parley::chat_template {
namespace {

// Longest first, so "//" wins over "/".
constexpr std::array<std::string_view, 26> kOperators = {
    "//", "**", "==", "!=", ">=", "<=", "+", "-", "/", "*", "%", "~", "[",
    "]",  "(",  ")",  "{",  "}",  ">",  "<", "=", ".", ":", "|", ",", ";"};

bool isDigit(char c) {
    return c >= '0' && c <= '9';
}
bool isNameStart(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool isNameChar(char c) {
    return isNameStart(c) || isDigit(c);
}

class Lexer {
  public:
    explicit Lexer(std::string_view raw) {
        // jinja2 normalises \r\n and \r to \n and drops one trailing newline.
        src_.reserve(raw.size());
        for (size_t i = 0; i < raw.size(); ++i) {
            if (raw[i] == '\r') {
                src_.push_back('\n');
                if (i + 1 < raw.size() && raw[i + 1] == '\n') {
                    ++i;
                }
            } else {
                src_.push_back(raw[i]);
            }
        }
        if (!src_.empty() && src_.back() == '\n') {
            src_.pop_back();
        }
        lineStarts_.push_back(0);
        for (size_t i = 0; i < src_.size(); ++i) {
            if (src_[i] == '\n') {
                lineStarts_.push_back(i + 1);
            }
        }
    }

    std::vector<Token> run() {
        size_t pos = 0;
        while (pos < src_.size()) {
            const size_t tag = findTagStart(pos);
            if (tag == std::string::npos) {
                emitData(pos, src_.substr(pos));
                break;
            }
            const char kind = src_[tag + 1];
            char sign = 0;
            if (tag + 2 < src_.size() && (src_[tag + 2] == '-' || src_[tag + 2] == '+')) {
                sign = src_[tag + 2];
            }
            size_t afterOpen = tag + 2 + (sign != 0 ? 1 : 0);
            size_t rawBodyStart = 0;
            const bool raw = kind == '%' && matchRawBegin(afterOpen, rawBodyStart);
            std::string data = src_.substr(pos, tag - pos);
            applyLeftStrip(data, sign, kind != '{');
            emitData(pos, std::move(data));
            lineStarting_ = false;
            if (raw) {
                lineStarting_ = src_[rawBodyStart - 1] == '\n';
                pos = lexRawBody(rawBodyStart, tag);
            } else if (kind == '#') {
                pos = lexComment(afterOpen, tag);
            } else {
                pos = lexTag(afterOpen, tag, kind == '%');
            }
        }
        Token end;
        end.type = TokenType::End;
        locate(end, src_.size());
        tokens_.push_back(std::move(end));
        return std::move(tokens_);
    }

  private:
    [[noreturn]] void fail(const std::string& message, size_t offset) const {
        Token t;
        locate(t, offset);
        throw TemplateError(message, t.line, t.column);
    }

    void locate(Token& t, size_t offset) const {
        const auto it = std::upper_bound(lineStarts_.begin(), lineStarts_.end(), offset);
        const size_t lineIndex = static_cast<size_t>(it - lineStarts_.begin()) - 1;
        t.line = static_cast<int>(lineIndex) + 1;
        t.column = static_cast<int>(text::codepointCount(std::string_view(src_).substr(
                       lineStarts_[lineIndex], offset - lineStarts_[lineIndex]))) +
                   1;
    }

    size_t findTagStart(size_t from) const {
        size_t p = src_.find('{', from);
        while (p != std::string::npos && p + 1 < src_.size()) {
            const char next = src_[p + 1];
            if (next == '{' || next == '%' || next == '#') {
                return p;
            }
            p = src_.find('{', p + 1);
        }
        return std::string::npos;
    }

    // Byte length of the whitespace code point at `pos` (Python's \s), 0 if none.
    size_t spaceAt(size_t pos) const {
        if (pos >= src_.size()) {
            return 0;
        }
        size_t length = 0;
        const char32_t c = text::decodeAt(src_, pos, length);
        return text::isSpace(c) ? length : 0;
    }

    size_t skipSpaces(size_t pos) const {
        while (size_t n = spaceAt(pos)) {
            pos += n;
        }
        return pos;
    }

    void applyLeftStrip(std::string& data, char sign, bool stripsBlocks) const {
        if (sign == '-') {
            data = text::strip(data, text::StripSide::Right);
            return;
        }
        if (sign == '+' || !stripsBlocks) {
            return;
        }
        const size_t lineStart = data.rfind('\n') == std::string::npos ? 0 : data.rfind('\n') + 1;
        if (lineStart == 0 && !lineStarting_) {
            return;
        }
        const std::string_view tail = std::string_view(data).substr(lineStart);
        if (tail.empty()) {
            return;
        }
        for (char32_t c : text::decode(tail)) {
            if (!text::isSpace(c)) {
                return;
            }
        }
        data.resize(lineStart);
    }

    void emitData(size_t offset, std::string data) {
        if (data.empty()) {
            return;
        }
        Token t;
        t.type = TokenType::Data;
        t.text = std::move(data);
        locate(t, offset);
        tokens_.push_back(std::move(t));
    }

    void emit(TokenType type, size_t offset, std::string textValue = {}) {
        Token t;
        t.type = type;
        t.text = std::move(textValue);
        locate(t, offset);
        tokens_.push_back(std::move(t));
    }

    bool startsWith(size_t pos, std::string_view s) const {
        return std::string_view(src_).substr(pos, s.size()) == s;
    }

    bool matchWord(size_t& pos, std::string_view word) const {
        if (!startsWith(pos, word) ||
            (pos + word.size() < src_.size() && isNameChar(src_[pos + word.size()]))) {
            return false;
        }
        pos += word.size();
        return true;
    }

    // `{% raw %}`: the tag ends with `%}` or `-%}` (trim_blocks does not apply here).
    bool matchRawBegin(size_t pos, size_t& bodyStart) const {
        pos = skipSpaces(pos);
        if (!matchWord(pos, "raw")) {
            return false;
        }
        pos = skipSpaces(pos);
        if (startsWith(pos, "-%}")) {
            bodyStart = skipSpaces(pos + 3);
            return true;
        }
        if (startsWith(pos, "%}")) {
            bodyStart = pos + 2;
            return true;
        }
        return false;
    }

    size_t lexRawBody(size_t bodyStart, size_t tagOffset) {
        size_t search = bodyStart;
        while (true) {
            const size_t open = src_.find("{%", search);
            if (open == std::string::npos) {
                fail("Missing end of raw directive", tagOffset);
            }
            char sign = 0;
            size_t p = open + 2;
            if (p < src_.size() && (src_[p] == '-' || src_[p] == '+')) {
                sign = src_[p];
                ++p;
            }
            p = skipSpaces(p);
            if (!matchWord(p, "endraw")) {
                search = open + 2;
                continue;
            }
            p = skipSpaces(p);
            size_t end = 0;
            if (startsWith(p, "+%}")) {
                end = p + 3;
            } else if (startsWith(p, "-%}")) {
                end = skipSpaces(p + 3);
            } else if (startsWith(p, "%}")) {
                end = p + 2;
                if (end < src_.size() && src_[end] == '\n') {
                    ++end;
                }
            } else {
                search = open + 2;
                continue;
            }
            std::string data = src_.substr(bodyStart, open - bodyStart);
            applyLeftStrip(data, sign, true);
            emitData(bodyStart, std::move(data));
            lineStarting_ = src_[end - 1] == '\n';
            return end;
        }
    }

    size_t lexComment(size_t pos, size_t tagOffset) {
        const size_t close = src_.find("#}", pos);
        if (close == std::string::npos) {
            fail("Missing end of comment tag", tagOffset);
        }
        size_t end = close + 2;
        const bool hasSign = close > pos;
        if (hasSign && src_[close - 1] == '-') {
            end = skipSpaces(end);
        } else if (!(hasSign && src_[close - 1] == '+')) {
            if (end < src_.size() && src_[end] == '\n') {
                ++end;
            }
        }
        lineStarting_ = src_[end - 1] == '\n';
        return end;
    }

    size_t lexTag(size_t pos, size_t tagOffset, bool block) {
        emit(block ? TokenType::BlockBegin : TokenType::VariableBegin, tagOffset);
        std::vector<char> brackets;
        while (true) {
            if (pos >= src_.size()) {
                fail(std::string("unexpected end of template, expected '") + (block ? "%}" : "}}") +
                         "' to close the tag",
                     tagOffset);
            }
            if (brackets.empty()) {
                size_t end = 0;
                if (block) {
                    if (startsWith(pos, "+%}")) {
                        end = pos + 3;
                    } else if (startsWith(pos, "-%}")) {
                        end = skipSpaces(pos + 3);
                    } else if (startsWith(pos, "%}")) {
                        end = pos + 2;
                        if (end < src_.size() && src_[end] == '\n') {
                            ++end;
                        }
                    }
                } else if (startsWith(pos, "-}}")) {
                    end = skipSpaces(pos + 3);
                } else if (startsWith(pos, "}}")) {
                    end = pos + 2;
                }
                if (end != 0) {
                    emit(block ? TokenType::BlockEnd : TokenType::VariableEnd, pos);
                    lineStarting_ = src_[end - 1] == '\n';
                    return end;
                }
            }
            if (const size_t n = spaceAt(pos)) {
                pos += n;
                continue;
            }
            const char c = src_[pos];
            if (isDigit(c)) {
                pos = lexNumber(pos);
            } else if (isNameStart(c)) {
                size_t end = pos;
                while (end < src_.size() && isNameChar(src_[end])) {
                    ++end;
                }
                emit(TokenType::Name, pos, src_.substr(pos, end - pos));
                pos = end;
            } else if (c == '\'' || c == '"') {
                pos = lexString(pos);
            } else {
                pos = lexOperator(pos, brackets);
            }
        }
    }

    size_t digitRun(size_t pos, bool (*digit)(char)) const {
        // digits separated by single underscores, as in Python literals
        if (pos >= src_.size() || !digit(src_[pos])) {
            return pos;
        }
        ++pos;
        while (pos < src_.size()) {
            if (digit(src_[pos])) {
                ++pos;
            } else if (src_[pos] == '_' && pos + 1 < src_.size() && digit(src_[pos + 1])) {
                pos += 2;
            } else {
                break;
            }
        }
        return pos;
    }

    size_t lexNumber(size_t start) {
        auto dec = [](char c) { return isDigit(c); };
        size_t pos = digitRun(start, dec);
        bool isFloat = false;
        const bool afterDot = start > 0 && src_[start - 1] == '.';
        if (!afterDot) {
            if (pos + 1 < src_.size() && src_[pos] == '.' && isDigit(src_[pos + 1])) {
                pos = digitRun(pos + 1, dec);
                isFloat = true;
            }
            if (pos < src_.size() && (src_[pos] == 'e' || src_[pos] == 'E')) {
                size_t e = pos + 1;
                if (e < src_.size() && (src_[e] == '+' || src_[e] == '-')) {
                    ++e;
                }
                if (e < src_.size() && isDigit(src_[e])) {
                    pos = digitRun(e, dec);
                    isFloat = true;
                }
            }
        }
        std::string digits;
        Token t;
        if (isFloat) {
            for (size_t i = start; i < pos; ++i) {
                if (src_[i] != '_') {
                    digits.push_back(src_[i]);
                }
            }
            t.type = TokenType::Float;
            t.number = std::strtod(digits.c_str(), nullptr);
        } else {
            int base = 10;
            size_t digitsStart = start;
            if (src_[start] == '0' && start + 1 < src_.size()) {
                const char p = static_cast<char>(src_[start + 1] | 0x20);
                base = p == 'x' ? 16 : (p == 'o' ? 8 : (p == 'b' ? 2 : 10));
            }
            if (base != 10) {
                digitsStart = start + 2;
                pos = digitsStart;
                while (pos < src_.size() &&
                       (std::isxdigit(static_cast<unsigned char>(src_[pos])) || src_[pos] == '_')) {
                    ++pos;
                }
            }
            for (size_t i = digitsStart; i < pos; ++i) {
                if (src_[i] != '_') {
                    digits.push_back(src_[i]);
                }
            }
            errno = 0;
            char* endPtr = nullptr;
            const long long v = std::strtoll(digits.c_str(), &endPtr, base);
            if (digits.empty() || errno == ERANGE || *endPtr != '\0') {
                fail("invalid or too large integer literal", start);
            }
            t.type = TokenType::Integer;
            t.integer = v;
        }
        t.text = src_.substr(start, pos - start);
        locate(t, start);
        tokens_.push_back(std::move(t));
        return pos;
    }

    static int hexValue(char c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        c = static_cast<char>(c | 0x20);
        return (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
    }

    // Python's unicode-escape decoding, which jinja2 applies to string literals.
    size_t lexString(size_t start) {
        const char quote = src_[start];
        std::string value;
        size_t pos = start + 1;
        while (true) {
            if (pos >= src_.size()) {
                fail("unterminated string literal", start);
            }
            const char c = src_[pos];
            if (c == quote) {
                ++pos;
                break;
            }
            if (c != '\\') {
                value.push_back(c);
                ++pos;
                continue;
            }
            if (pos + 1 >= src_.size()) {
                fail("unterminated string literal", start);
            }
            const char e = src_[pos + 1];
            pos += 2;
            switch (e) {
                case '\n':
                    break;
                case '\\':
                case '\'':
                case '"':
                    value.push_back(e);
                    break;
                case 'a':
                    value.push_back('\a');
                    break;
                case 'b':
                    value.push_back('\b');
                    break;
                case 'f':
                    value.push_back('\f');
                    break;
                case 'n':
                    value.push_back('\n');
                    break;
                case 'r':
                    value.push_back('\r');
                    break;
                case 't':
                    value.push_back('\t');
                    break;
                case 'v':
                    value.push_back('\v');
                    break;
                case 'x':
                case 'u':
                case 'U': {
                    const int width = e == 'x' ? 2 : (e == 'u' ? 4 : 8);
                    char32_t cp = 0;
                    for (int i = 0; i < width; ++i) {
                        const int h = pos < src_.size() ? hexValue(src_[pos]) : -1;
                        if (h < 0) {
                            fail(std::string("truncated \\") + e + " escape in string literal",
                                 start);
                        }
                        cp = cp * 16 + static_cast<char32_t>(h);
                        ++pos;
                    }
                    if (cp > 0x10FFFF) {
                        fail("illegal Unicode character in string literal", start);
                    }
                    text::appendUtf8(value, cp);
                    break;
                }
                default:
                    if (e >= '0' && e <= '7') {
                        char32_t cp = static_cast<char32_t>(e - '0');
                        for (int i = 0;
                             i < 2 && pos < src_.size() && src_[pos] >= '0' && src_[pos] <= '7';
                             ++i) {
                            cp = cp * 8 + static_cast<char32_t>(src_[pos++] - '0');
                        }
                        text::appendUtf8(value, cp);
                    } else {
                        value.push_back('\\');
                        value.push_back(e);
                    }
            }
        }
        emit(TokenType::String, start, std::move(value));
        return pos;
    }

    size_t lexOperator(size_t pos, std::vector<char>& brackets) {
        for (std::string_view op : kOperators) {
            if (!startsWith(pos, op)) {
                continue;
            }
            const char c = op[0];
            if (op.size() == 1 && (c == '(' || c == '[' || c == '{')) {
                brackets.push_back(c == '(' ? ')' : (c == '[' ? ']' : '}'));
            } else if (op.size() == 1 && (c == ')' || c == ']' || c == '}')) {
                if (brackets.empty()) {
                    fail(std::string("unexpected '") + c + "'", pos);
                }
                if (brackets.back() != c) {
                    fail(std::string("unexpected '") + c + "', expected '" + brackets.back() + "'",
                         pos);
                }
                brackets.pop_back();
            }
            emit(TokenType::Operator, pos, std::string(op));
            return pos + op.size();
        }
        size_t length = 0;
        const char32_t cp = text::decodeAt(src_, pos, length);
        std::string shown;
        text::appendUtf8(shown, cp);
        fail("unexpected char '" + shown + "'", pos);
    }

    std::string src_;
    std::vector<size_t> lineStarts_;
    std::vector<Token> tokens_;
    bool lineStarting_ = true;
};

}  // namespace

std::vector<Token> tokenize(std::string_view source) {
    return Lexer(source).run();
}

}  // namespace parley::chat_template
