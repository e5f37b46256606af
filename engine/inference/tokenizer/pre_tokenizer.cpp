#include "inference/tokenizer/pre_tokenizer.h"

#include <algorithm>
#include <array>

#include "inference/tokenizer/unicode.h"

namespace parley::tokenizer {

namespace {

using unicode::CodepointFlags;
using unicode::flagsOf;

// A pass matches one regex alternative list at position `at` of `piece` and returns the match
// length, 0 for no match. Matching stops at the piece end (the look-ahead sees "end of text"
// there), as it does in a regex search confined to the piece.
using Matcher = std::size_t (*)(std::u32string_view piece, std::size_t at);

CodepointFlags flagsAt(std::u32string_view piece, std::size_t at) {
    return at < piece.size() ? flagsOf(piece[at]) : CodepointFlags{};
}

bool isLetterOrNumberOrSpace(CodepointFlags f) {
    return f.bits & (CodepointFlags::Letter | CodepointFlags::Number | CodepointFlags::Whitespace);
}

bool isNewline(char32_t c) {
    return c == '\r' || c == '\n';
}

char32_t asciiLower(char32_t c) {
    return (c >= 'A' && c <= 'Z') ? c + 32 : c;
}

// 's 't 'm 'd 're 've 'll; returns the length matched.
std::size_t matchContraction(std::u32string_view piece, std::size_t at, bool anyCase) {
    if (piece[at] != '\'' || at + 1 >= piece.size())
        return 0;
    const auto fold = [&](char32_t c) { return anyCase ? asciiLower(c) : c; };
    const char32_t c1 = fold(piece[at + 1]);
    if (c1 == 's' || c1 == 't' || c1 == 'm' || c1 == 'd')
        return 2;
    if (at + 2 >= piece.size())
        return 0;
    const char32_t c2 = fold(piece[at + 2]);
    if ((c1 == 'r' && c2 == 'e') || (c1 == 'v' && c2 == 'e') || (c1 == 'l' && c2 == 'l'))
        return 3;
    return 0;
}

template <class Predicate>
std::size_t runLength(std::u32string_view piece, std::size_t from, Predicate inRun) {
    std::size_t end = from;
    while (end < piece.size() && inRun(piece[end]))
        ++end;
    return end - from;
}

// \s+(?!\S)|\s+ at a whitespace run of `count` characters: all but the last when a
// non-space follows, so that space joins the next word.
std::size_t matchWhitespaceRun(std::u32string_view piece, std::size_t at, std::size_t count) {
    if (count > 1 && at + count < piece.size())
        return count - 1;
    return count;
}

// 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
std::size_t matchGpt2(std::u32string_view piece, std::size_t at) {
    if (const std::size_t n = matchContraction(piece, at, false))
        return n;
    const bool space = piece[at] == ' ';
    const CodepointFlags next = space ? flagsAt(piece, at + 1) : flagsOf(piece[at]);
    const std::size_t start = at + (space ? 1 : 0);
    if (next.isLetter())
        return space + runLength(piece, start, [](char32_t c) { return flagsOf(c).isLetter(); });
    if (next.isNumber())
        return space + runLength(piece, start, [](char32_t c) { return flagsOf(c).isNumber(); });
    if (next.bits && !isLetterOrNumberOrSpace(next)) {
        return space + runLength(piece, start,
                                 [](char32_t c) { return !isLetterOrNumberOrSpace(flagsOf(c)); });
    }
    const std::size_t spaces =
        runLength(piece, at, [](char32_t c) { return flagsOf(c).isWhitespace(); });
    return spaces > 0 ? matchWhitespaceRun(piece, at, spaces) : 1;
}

// (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,MaxDigits}|
//  ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
template <std::size_t MaxDigits>
std::size_t matchLlama3(std::u32string_view piece, std::size_t at) {
    if (const std::size_t n = matchContraction(piece, at, true))
        return n;
    const char32_t c = piece[at];
    const CodepointFlags flags = flagsOf(c);
    if (!isNewline(c) && !flags.isNumber() &&
        (flags.isLetter() || flagsAt(piece, at + 1).isLetter())) {
        return 1 + runLength(piece, at + 1, [](char32_t x) { return flagsOf(x).isLetter(); });
    }
    if (flags.isNumber()) {
        return std::min(MaxDigits,
                        runLength(piece, at, [](char32_t x) { return flagsOf(x).isNumber(); }));
    }
    const bool space = c == ' ';
    const CodepointFlags next = space ? flagsAt(piece, at + 1) : flags;
    if (next.bits && !isLetterOrNumberOrSpace(next)) {
        std::size_t end = at + space;
        end +=
            runLength(piece, end, [](char32_t x) { return !isLetterOrNumberOrSpace(flagsOf(x)); });
        end += runLength(piece, end, isNewline);
        return end - at;
    }
    std::size_t spaces = 0;
    std::size_t afterLastNewline = 0;
    while (at + spaces < piece.size() && flagsOf(piece[at + spaces]).isWhitespace()) {
        if (isNewline(piece[at + spaces]))
            afterLastNewline = spaces + 1;
        ++spaces;
    }
    if (afterLastNewline > 0)
        return afterLastNewline;
    return spaces > 0 ? matchWhitespaceRun(piece, at, spaces) : 1;
}

// \p{N}
std::size_t matchOneNumber(std::u32string_view piece, std::size_t at) {
    return flagsOf(piece[at]).isNumber() ? 1 : 0;
}

// \p{N}+
std::size_t matchNumberRun(std::u32string_view piece, std::size_t at) {
    return runLength(piece, at, [](char32_t c) { return flagsOf(c).isNumber(); });
}

// [0-9][0-9][0-9]
std::size_t matchThreeAsciiDigits(std::u32string_view piece, std::size_t at) {
    const auto digit = [&](std::size_t i) {
        return i < piece.size() && piece[i] >= '0' && piece[i] <= '9';
    };
    return digit(at) && digit(at + 1) && digit(at + 2) ? 3 : 0;
}

// [\p{P}\$\+<=>\^~\|]+
std::size_t matchPunctuationRun(std::u32string_view piece, std::size_t at) {
    return runLength(piece, at, [](char32_t c) {
        return flagsOf(c).isPunctuation() || c == '$' || c == '+' || c == '<' || c == '=' ||
               c == '>' || c == '^' || c == '~' || c == '|';
    });
}

// [\r\n]
std::size_t matchNewline(std::u32string_view piece, std::size_t at) {
    return isNewline(piece[at]) ? 1 : 0;
}

// \s?X+ for a category test X.
template <bool (CodepointFlags::*InClass)() const>
std::size_t matchOptionalSpaceThenRun(std::u32string_view piece, std::size_t at) {
    const bool space = flagsOf(piece[at]).isWhitespace();
    if (space) {
        const std::size_t run =
            runLength(piece, at + 1, [](char32_t c) { return (flagsOf(c).*InClass)(); });
        if (run > 0)
            return 1 + run;
    }
    return runLength(piece, at, [](char32_t c) { return (flagsOf(c).*InClass)(); });
}

// [一-龥ࠀ-一가-퟿]+
std::size_t matchCjkRun(std::u32string_view piece, std::size_t at) {
    return runLength(piece, at, [](char32_t c) {
        return (c >= 0x4E00 && c <= 0x9FA5) || (c >= 0x0800 && c <= 0x4E00) ||
               (c >= 0xAC00 && c <= 0xD7FF);
    });
}

// The cased-letter class of DeepSeek LLM's second pass, as code point ranges.
constexpr std::pair<char32_t, char32_t> kDeepseekLetters[] = {
    {0x41, 0x5A},       {0x61, 0x7A},       {0xB5, 0xB5},       {0xC0, 0xD6},
    {0xD8, 0xF6},       {0xF8, 0x1BA},      {0x1BC, 0x1BF},     {0x1C4, 0x293},
    {0x295, 0x2AF},     {0x370, 0x373},     {0x376, 0x377},     {0x37B, 0x37D},
    {0x37F, 0x37F},     {0x386, 0x386},     {0x388, 0x38A},     {0x38C, 0x38C},
    {0x38E, 0x3A1},     {0x3A3, 0x3F5},     {0x3F7, 0x481},     {0x48A, 0x52F},
    {0x531, 0x556},     {0x10A0, 0x10C5},   {0x13A0, 0x13F5},   {0x13F8, 0x13FD},
    {0x1C90, 0x1CBA},   {0x1CBD, 0x1CBF},   {0x1D00, 0x1D2B},   {0x1D6B, 0x1D77},
    {0x1D79, 0x1D9A},   {0x1E00, 0x1F15},   {0x1F18, 0x1F1D},   {0x1F20, 0x1F45},
    {0x1F48, 0x1F4D},   {0x1F50, 0x1F57},   {0x1F59, 0x1F59},   {0x1F5B, 0x1F5B},
    {0x1F5D, 0x1F5D},   {0x1F5F, 0x1F7D},   {0x1F80, 0x1FB4},   {0x1FB6, 0x1FBC},
    {0x1FBE, 0x1FBE},   {0x1FC2, 0x1FC4},   {0x1FC6, 0x1FCC},   {0x1FD0, 0x1FD3},
    {0x1FD6, 0x1FDB},   {0x1FE0, 0x1FEC},   {0x1FF2, 0x1FF4},   {0x1FF6, 0x1FFC},
    {0x2102, 0x2102},   {0x2107, 0x2107},   {0x210A, 0x2113},   {0x2115, 0x2115},
    {0x2119, 0x211D},   {0x2124, 0x2124},   {0x2126, 0x2126},   {0x2128, 0x2128},
    {0x212A, 0x212D},   {0x212F, 0x2134},   {0x2139, 0x2139},   {0x213C, 0x213F},
    {0x2145, 0x2149},   {0x214E, 0x214E},   {0x2183, 0x2184},   {0x2C00, 0x2C7B},
    {0x2C7E, 0x2CE4},   {0x2CEB, 0x2CEE},   {0x2CF2, 0x2CF3},   {0xA640, 0xA66D},
    {0xA680, 0xA69B},   {0xA722, 0xA76F},   {0xA771, 0xA787},   {0xA78B, 0xA78E},
    {0xAB70, 0xABBF},   {0xFB00, 0xFB06},   {0xFB13, 0xFB17},   {0xFF21, 0xFF3A},
    {0xFF41, 0xFF5A},   {0x10400, 0x1044F}, {0x104B0, 0x104D3}, {0x104D8, 0x104FB},
    {0x10C80, 0x10CB2}, {0x10CC0, 0x10CF2}, {0x118A0, 0x118DF}, {0x1E900, 0x1E943},
};

bool isDeepseekLetter(char32_t c) {
    for (const auto& [first, last] : kDeepseekLetters) {
        if (c < first)
            return false;
        if (c <= last)
            return true;
    }
    return false;
}

// [!-/:-~！-／：-～‘-‟　-。]
bool isDeepseekPunctuation(char32_t c) {
    return (c >= 0x21 && c <= 0x2F) || (c >= 0x3A && c <= 0x7E) || (c >= 0xFF01 && c <= 0xFF0F) ||
           (c >= 0xFF1A && c <= 0xFF5E) || (c >= 0x2018 && c <= 0x201F) ||
           (c >= 0x3000 && c <= 0x3002);
}

// \s?[class]+
template <bool (*InClass)(char32_t)>
std::size_t matchOptionalSpaceThenClassRun(std::u32string_view piece, std::size_t at) {
    if (flagsOf(piece[at]).isWhitespace()) {
        if (const std::size_t run = runLength(piece, at + 1, InClass))
            return 1 + run;
    }
    return runLength(piece, at, InClass);
}

// \s+$
std::size_t matchTrailingWhitespace(std::u32string_view piece, std::size_t at) {
    const std::size_t run =
        runLength(piece, at, [](char32_t c) { return flagsOf(c).isWhitespace(); });
    return at + run == piece.size() ? run : 0;
}

// Splits every current piece with one pass: matches become pieces, and so do the runs of
// unmatched characters between them.
void applyPass(std::u32string_view text, std::vector<std::size_t>& ends, Matcher match) {
    std::vector<std::size_t> out;
    out.reserve(ends.size() * 2);
    std::size_t begin = 0;
    for (const std::size_t end : ends) {
        const std::u32string_view piece = text.substr(begin, end - begin);
        std::size_t gapStart = 0;
        for (std::size_t at = 0; at < piece.size();) {
            const std::size_t length = match(piece, at);
            if (length == 0) {
                ++at;
                continue;
            }
            if (at > gapStart)
                out.push_back(begin + at);
            at += length;
            out.push_back(begin + at);
            gapStart = at;
        }
        if (gapStart < piece.size())
            out.push_back(end);
        begin = end;
    }
    ends = std::move(out);
}

std::vector<Matcher> passesOf(PreTokenizerKind kind) {
    switch (kind) {
        case PreTokenizerKind::Default:
            return {matchPunctuationRun, matchGpt2, matchNumberRun, matchThreeAsciiDigits};
        case PreTokenizerKind::Gpt2:
            return {matchGpt2};
        case PreTokenizerKind::Llama3:
            return {matchLlama3<3>};
        case PreTokenizerKind::Qwen2:
            return {matchLlama3<1>};
        case PreTokenizerKind::Starcoder:
            return {matchOneNumber, matchGpt2};
        case PreTokenizerKind::DeepseekLlm:
            return {matchNewline,
                    matchOptionalSpaceThenClassRun<isDeepseekLetter>,
                    matchOptionalSpaceThenClassRun<isDeepseekPunctuation>,
                    matchTrailingWhitespace,
                    matchCjkRun,
                    matchNumberRun};
        case PreTokenizerKind::DeepseekCoder:
            return {matchNewline, matchOptionalSpaceThenRun<&CodepointFlags::isLetter>,
                    matchOptionalSpaceThenRun<&CodepointFlags::isPunctuation>, matchCjkRun,
                    matchOneNumber};
    }
    return {matchGpt2};
}

struct NamedSpec {
    std::string_view name;
    PreTokenizerSpec spec;
};

// tokenizer.ggml.pre values and the behaviour llama.cpp gives each.
constexpr PreTokenizerSpec kDefault{PreTokenizerKind::Default, true, false, false};
constexpr PreTokenizerSpec kGpt2{PreTokenizerKind::Gpt2, true, false, false};
constexpr PreTokenizerSpec kLlama3{PreTokenizerKind::Llama3, false, true, true};
constexpr PreTokenizerSpec kQwen2{PreTokenizerKind::Qwen2, false, false, false};
constexpr PreTokenizerSpec kStablelm2{PreTokenizerKind::Qwen2, true, false, false};
constexpr PreTokenizerSpec kStarcoder{PreTokenizerKind::Starcoder, true, false, false};
constexpr PreTokenizerSpec kStarcoderNoClean{PreTokenizerKind::Starcoder, false, false, false};
constexpr PreTokenizerSpec kDeepseekLlm{PreTokenizerKind::DeepseekLlm, false, false, false};
constexpr PreTokenizerSpec kDeepseekCoder{PreTokenizerKind::DeepseekCoder, false, false, false};

constexpr std::array kNamedSpecs{
    NamedSpec{"default", kDefault},
    NamedSpec{"gpt-2", kGpt2},
    NamedSpec{"phi-2", kGpt2},
    NamedSpec{"mpt", kGpt2},
    NamedSpec{"olmo", kGpt2},
    NamedSpec{"jais", kGpt2},
    NamedSpec{"roberta-bpe", kGpt2},
    NamedSpec{"jina-es", kGpt2},
    NamedSpec{"jina-de", kGpt2},
    NamedSpec{"jina-v1-en", kGpt2},
    NamedSpec{"jina-v2-es", kGpt2},
    NamedSpec{"jina-v2-de", kGpt2},
    NamedSpec{"jina-v2-code", kGpt2},
    NamedSpec{"gigachat", kGpt2},
    NamedSpec{"llama3", kLlama3},
    NamedSpec{"llama-v3", kLlama3},
    NamedSpec{"llama-bpe", kLlama3},
    NamedSpec{"falcon3", kLlama3},
    NamedSpec{"dbrx", kLlama3},
    NamedSpec{"smaug-bpe", kLlama3},
    NamedSpec{"qwen2", kQwen2},
    NamedSpec{"deepseek-r1-qwen", kQwen2},
    NamedSpec{"stablelm2", kStablelm2},
    NamedSpec{"smollm", kStarcoderNoClean},
    NamedSpec{"command-r", kStarcoderNoClean},
    NamedSpec{"starcoder", kStarcoder},
    NamedSpec{"refact", kStarcoder},
    NamedSpec{"codeshell", kStarcoder},
    NamedSpec{"exaone", kStarcoder},
    NamedSpec{"deepseek-llm", kDeepseekLlm},
    NamedSpec{"deepseek-coder", kDeepseekCoder},
};

}  // namespace

std::optional<PreTokenizerSpec> preTokenizerSpec(std::string_view name) {
    for (const auto& named : kNamedSpecs) {
        if (named.name == name)
            return named.spec;
    }
    return std::nullopt;
}

std::vector<std::size_t> preTokenize(std::u32string_view text, PreTokenizerKind kind) {
    std::vector<std::size_t> ends;
    if (text.empty())
        return ends;
    ends.push_back(text.size());
    for (const Matcher pass : passesOf(kind))
        applyPass(text, ends, pass);
    return ends;
}

}  // namespace parley::tokenizer
