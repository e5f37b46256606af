#include "inference/tokenizer/unicode.h"

#include <algorithm>
#include <array>

#include "inference/tokenizer/unicode_tables.h"

namespace parley::tokenizer::unicode {

namespace {

namespace tables = unicode_tables;

constexpr char32_t kMaxCodepoint = 0x10FFFF;
constexpr char32_t kHangulFirst = 0xAC00;
constexpr char32_t kHangulLast = 0xD7A3;

uint16_t lookupFlags(char32_t cp) {
    const auto* end = tables::kCategoryRunStarts + tables::kCategoryRunStartsSize;
    const auto* run = std::upper_bound(tables::kCategoryRunStarts, end, uint32_t(cp));
    return tables::kCategoryRunFlags[run - tables::kCategoryRunStarts - 1];
}

// ASCII and Latin-1 dominate real text; skip the binary search for them.
const std::array<uint16_t, 256>& latin1Flags() {
    static const std::array<uint16_t, 256> flags = [] {
        std::array<uint16_t, 256> f{};
        for (char32_t cp = 0; cp < 256; ++cp)
            f[cp] = lookupFlags(cp);
        return f;
    }();
    return flags;
}

bool isContinuation(unsigned char byte) {
    return (byte & 0xC0) == 0x80;
}

}  // namespace

CodepointFlags flagsOf(char32_t cp) {
    if (cp < 256)
        return {latin1Flags()[cp]};
    if (cp > kMaxCodepoint)
        return {CodepointFlags::Undefined};
    return {lookupFlags(cp)};
}

char32_t toLower(char32_t cp) {
    if (cp < 128)
        return (cp >= 'A' && cp <= 'Z') ? cp + 32 : cp;
    const auto* begin = tables::kLowercaseRuns;
    const auto* end = begin + tables::kLowercaseRunsSize;
    const auto* run = std::upper_bound(
        begin, end, uint32_t(cp), [](uint32_t value, const auto& r) { return value < r.first; });
    if (run == begin)
        return cp;
    --run;
    const uint32_t offset = uint32_t(cp) - run->first;
    if (offset % run->stride != 0 || offset / run->stride >= run->count)
        return cp;
    return char32_t(int64_t(cp) + run->delta);
}

char32_t decompositionFirst(char32_t cp) {
    if (cp < 0xC0)
        return cp;
    if (cp >= kHangulFirst && cp <= kHangulLast)
        return 0x1100 + (cp - kHangulFirst) / 588;  // the leading consonant jamo
    const auto* begin = tables::kDecompositionSources;
    const auto* end = begin + tables::kDecompositionSourcesSize;
    const auto* it = std::lower_bound(begin, end, uint32_t(cp));
    if (it == end || *it != cp)
        return cp;
    return tables::kDecompositionFirsts[it - begin];
}

std::u32string decomposeHangul(char32_t cp) {
    if (cp < kHangulFirst || cp > kHangulLast)
        return {};
    const char32_t index = cp - kHangulFirst;
    std::u32string jamo{char32_t(0x1100 + index / 588), char32_t(0x1161 + (index % 588) / 28)};
    if (index % 28 != 0)
        jamo.push_back(0x11A7 + index % 28);
    return jamo;
}

bool isCjkIdeograph(char32_t cp) {
    return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
           (cp >= 0x20000 && cp <= 0x2A6DF) || (cp >= 0x2A700 && cp <= 0x2B73F) ||
           (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B820 && cp <= 0x2CEAF) ||
           (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
}

char32_t decodeOne(std::string_view text, std::size_t& offset) {
    const auto byteAt = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
    const unsigned char lead = byteAt(offset);
    std::size_t length = 0;
    char32_t cp = 0;
    if (lead < 0x80) {
        ++offset;
        return lead;
    } else if ((lead & 0xE0) == 0xC0) {
        length = 2;
        cp = lead & 0x1F;
    } else if ((lead & 0xF0) == 0xE0) {
        length = 3;
        cp = lead & 0x0F;
    } else if ((lead & 0xF8) == 0xF0) {
        length = 4;
        cp = lead & 0x07;
    } else {
        ++offset;
        return kReplacementCharacter;
    }
    if (offset + length > text.size()) {
        ++offset;
        return kReplacementCharacter;
    }
    for (std::size_t i = 1; i < length; ++i) {
        if (!isContinuation(byteAt(offset + i))) {
            ++offset;
            return kReplacementCharacter;
        }
        cp = (cp << 6) | (byteAt(offset + i) & 0x3F);
    }
    if (cp > kMaxCodepoint) {
        ++offset;
        return kReplacementCharacter;
    }
    offset += length;
    return cp;
}

std::u32string decode(std::string_view text) {
    std::u32string cps;
    cps.reserve(text.size());
    for (std::size_t offset = 0; offset < text.size();)
        cps.push_back(decodeOne(text, offset));
    return cps;
}

void appendUtf8(std::string& out, char32_t cp) {
    if (cp < 0x80) {
        out.push_back(char(cp));
    } else if (cp < 0x800) {
        out.push_back(char(0xC0 | (cp >> 6)));
        out.push_back(char(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        out.push_back(char(0xE0 | (cp >> 12)));
        out.push_back(char(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(char(0x80 | (cp & 0x3F)));
    } else {
        out.push_back(char(0xF0 | (cp >> 18)));
        out.push_back(char(0x80 | ((cp >> 12) & 0x3F)));
        out.push_back(char(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(char(0x80 | (cp & 0x3F)));
    }
}

std::string encode(std::u32string_view cps) {
    std::string out;
    out.reserve(cps.size());
    for (char32_t cp : cps)
        appendUtf8(out, cp);
    return out;
}

std::size_t appendValidated(std::string& out, std::string_view bytes, bool holdIncompleteTail) {
    const auto byteAt = [&](std::size_t i) { return static_cast<unsigned char>(bytes[i]); };
    std::size_t i = 0;
    while (i < bytes.size()) {
        const unsigned char lead = byteAt(i);
        if (lead < 0x80) {
            out.push_back(char(lead));
            ++i;
            continue;
        }
        std::size_t length = 0;
        unsigned char low = 0x80, high = 0xBF;  // allowed range of the second byte
        if (lead >= 0xC2 && lead <= 0xDF) {
            length = 2;
        } else if (lead >= 0xE0 && lead <= 0xEF) {
            length = 3;
            low = lead == 0xE0 ? 0xA0 : 0x80;
            high = lead == 0xED ? 0x9F : 0xBF;
        } else if (lead >= 0xF0 && lead <= 0xF4) {
            length = 4;
            low = lead == 0xF0 ? 0x90 : 0x80;
            high = lead == 0xF4 ? 0x8F : 0xBF;
        }
        if (length == 0) {
            appendUtf8(out, kReplacementCharacter);
            ++i;
            continue;
        }
        std::size_t valid = 1;  // bytes of this sequence that are well-formed so far
        while (valid < length && i + valid < bytes.size()) {
            const unsigned char b = byteAt(i + valid);
            const bool ok = valid == 1 ? (b >= low && b <= high) : isContinuation(b);
            if (!ok)
                break;
            ++valid;
        }
        if (valid == length) {
            out.append(bytes.substr(i, length));
        } else if (i + valid == bytes.size() && holdIncompleteTail) {
            return i;
        } else {
            appendUtf8(out, kReplacementCharacter);
        }
        i += valid;
    }
    return i;
}

}  // namespace parley::tokenizer::unicode
