#include "inference/chat_template/text.h"

#include <algorithm>

namespace parley::chat_template::text {

char32_t decodeAt(std::string_view s, size_t i, size_t& length) {
    const auto b = static_cast<unsigned char>(s[i]);
    length = 1;
    int extra = 0;
    char32_t c = 0;
    if (b < 0x80) {
        return b;
    }
    if ((b & 0xE0) == 0xC0) {
        c = b & 0x1F;
        extra = 1;
    } else if ((b & 0xF0) == 0xE0) {
        c = b & 0x0F;
        extra = 2;
    } else if ((b & 0xF8) == 0xF0) {
        c = b & 0x07;
        extra = 3;
    } else {
        return 0xFFFD;
    }
    if (i + extra >= s.size()) {
        return 0xFFFD;
    }
    for (int k = 1; k <= extra; ++k) {
        const auto cont = static_cast<unsigned char>(s[i + k]);
        if ((cont & 0xC0) != 0x80) {
            return 0xFFFD;
        }
        c = (c << 6) | (cont & 0x3F);
    }
    length = static_cast<size_t>(extra) + 1;
    return c;
}

std::u32string decode(std::string_view s) {
    std::u32string out;
    out.reserve(s.size());
    size_t i = 0;
    while (i < s.size()) {
        size_t length = 0;
        out.push_back(decodeAt(s, i, length));
        i += length;
    }
    return out;
}

void appendUtf8(std::string& out, char32_t c) {
    if (c < 0x80) {
        out.push_back(static_cast<char>(c));
    } else if (c < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (c >> 6)));
        out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    } else if (c < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (c >> 12)));
        out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (c >> 18)));
        out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    }
}

std::string encode(std::u32string_view cps) {
    std::string out;
    out.reserve(cps.size());
    for (char32_t c : cps) {
        appendUtf8(out, c);
    }
    return out;
}

size_t codepointCount(std::string_view s) {
    size_t n = 0;
    for (char ch : s) {
        if ((static_cast<unsigned char>(ch) & 0xC0) != 0x80) {
            ++n;
        }
    }
    return n;
}

bool isSpace(char32_t c) {
    return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 ||
           c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 ||
           c == 0x202F || c == 0x205F || c == 0x3000;
}

// Case mapping covers ASCII, Latin-1, Latin Extended-A, Greek and Cyrillic: the scripts whose
// case pairs sit at fixed offsets. Other scripts pass through unchanged.
char32_t toLower(char32_t c) {
    if ((c >= 'A' && c <= 'Z') || (c >= 0xC0 && c <= 0xDE && c != 0xD7)) {
        return c + 32;
    }
    if (c >= 0x100 && c <= 0x17F && c != 0x130 && c != 0x131 && c != 0x138 && c != 0x149 &&
        c != 0x17F) {
        const bool evenUpper = (c < 0x139) || (c > 0x148 && c < 0x179);
        if (evenUpper ? (c % 2 == 0) : (c % 2 == 1)) {
            return c + 1;
        }
        return c;
    }
    if (c >= 0x391 && c <= 0x3AB && c != 0x3A2) {
        return c + 32;
    }
    if (c >= 0x410 && c <= 0x42F) {
        return c + 32;
    }
    if (c >= 0x400 && c <= 0x40F) {
        return c + 80;
    }
    return c;
}

char32_t toUpper(char32_t c) {
    if ((c >= 'a' && c <= 'z') || (c >= 0xE0 && c <= 0xFE && c != 0xF7)) {
        return c - 32;
    }
    if (c >= 0x100 && c <= 0x17F && c != 0x130 && c != 0x131 && c != 0x138 && c != 0x149 &&
        c != 0x17F) {
        const bool evenUpper = (c < 0x139) || (c > 0x148 && c < 0x179);
        if (evenUpper ? (c % 2 == 1) : (c % 2 == 0)) {
            return c - 1;
        }
        return c;
    }
    if (c >= 0x3B1 && c <= 0x3CB && c != 0x3C2) {
        return c - 32;
    }
    if (c >= 0x430 && c <= 0x44F) {
        return c - 32;
    }
    if (c >= 0x450 && c <= 0x45F) {
        return c - 80;
    }
    return c;
}

bool isAlpha(char32_t c) {
    return toLower(c) != toUpper(c) || c == 0xDF;
}

std::string strip(std::string_view s, StripSide side, const std::u32string* chars) {
    const std::u32string cps = decode(s);
    auto strippable = [&](char32_t c) {
        if (chars == nullptr) {
            return isSpace(c);
        }
        return chars->find(c) != std::u32string::npos;
    };
    size_t begin = 0;
    size_t end = cps.size();
    if (side != StripSide::Right) {
        while (begin < end && strippable(cps[begin])) {
            ++begin;
        }
    }
    if (side != StripSide::Left) {
        while (end > begin && strippable(cps[end - 1])) {
            --end;
        }
    }
    return encode(std::u32string_view(cps).substr(begin, end - begin));
}

std::string lower(std::string_view s) {
    std::u32string cps = decode(s);
    std::transform(cps.begin(), cps.end(), cps.begin(), toLower);
    return encode(cps);
}

std::string upper(std::string_view s) {
    std::u32string cps = decode(s);
    std::transform(cps.begin(), cps.end(), cps.begin(), toUpper);
    return encode(cps);
}

std::string capitalize(std::string_view s) {
    std::u32string cps = decode(s);
    for (size_t i = 0; i < cps.size(); ++i) {
        cps[i] = i == 0 ? toUpper(cps[i]) : toLower(cps[i]);
    }
    return encode(cps);
}

std::string pythonTitle(std::string_view s) {
    std::u32string cps = decode(s);
    bool previousCased = false;
    for (char32_t& c : cps) {
        const bool cased = toLower(c) != toUpper(c);
        if (cased) {
            c = previousCased ? toLower(c) : toUpper(c);
        }
        previousCased = cased;
    }
    return encode(cps);
}

std::string replace(std::string_view s, std::string_view from, std::string_view to, int64_t count) {
    std::string out;
    if (from.empty()) {
        // Python inserts `to` before every code point and at the end.
        const std::u32string cps = decode(s);
        int64_t done = 0;
        for (char32_t c : cps) {
            if (count < 0 || done < count) {
                out += to;
                ++done;
            }
            appendUtf8(out, c);
        }
        if (count < 0 || done < count) {
            out += to;
        }
        return out;
    }
    size_t pos = 0;
    int64_t done = 0;
    while (count < 0 || done < count) {
        const size_t hit = s.find(from, pos);
        if (hit == std::string_view::npos) {
            break;
        }
        out.append(s.substr(pos, hit - pos));
        out.append(to);
        pos = hit + from.size();
        ++done;
    }
    out.append(s.substr(pos));
    return out;
}

std::vector<std::string> split(std::string_view s, const std::string* sep, int64_t maxSplit) {
    std::vector<std::string> parts;
    if (sep != nullptr) {
        size_t pos = 0;
        while (maxSplit < 0 || static_cast<int64_t>(parts.size()) < maxSplit) {
            const size_t hit = s.find(*sep, pos);
            if (hit == std::string_view::npos) {
                break;
            }
            parts.emplace_back(s.substr(pos, hit - pos));
            pos = hit + sep->size();
        }
        parts.emplace_back(s.substr(pos));
        return parts;
    }
    const std::u32string cps = decode(s);
    size_t i = 0;
    while (i < cps.size()) {
        while (i < cps.size() && isSpace(cps[i])) {
            ++i;
        }
        if (i == cps.size()) {
            break;
        }
        if (maxSplit >= 0 && static_cast<int64_t>(parts.size()) == maxSplit) {
            size_t end = cps.size();
            while (end > i && isSpace(cps[end - 1])) {
                --end;
            }
            parts.push_back(encode(std::u32string_view(cps).substr(i, end - i)));
            break;
        }
        size_t j = i;
        while (j < cps.size() && !isSpace(cps[j])) {
            ++j;
        }
        parts.push_back(encode(std::u32string_view(cps).substr(i, j - i)));
        i = j;
    }
    return parts;
}

}  // namespace parley::chat_template::text
