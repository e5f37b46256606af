// UTF-8 decoding/encoding and the Unicode properties the pre-tokenizers and WordPiece need
// (general category groups, White_Space, simple lowercase, first code point of NFD).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace parley::tokenizer::unicode {

inline constexpr char32_t kReplacementCharacter = 0xFFFD;

// One flag per general-category group (\p{L}, \p{N}, ...) plus White_Space; a code point has
// exactly one category flag. Cn (unassigned) is Undefined, other C* are Control.
struct CodepointFlags {
    enum : uint16_t {
        Undefined = 0x01,
        Number = 0x02,
        Letter = 0x04,
        Separator = 0x08,
        Mark = 0x10,
        Punctuation = 0x20,
        Symbol = 0x40,
        Control = 0x80,
        Whitespace = 0x100,
        NonspacingMark = 0x200,  // Mn, a subset of Mark
    };
    uint16_t bits = 0;  // 0 only for "no code point" (past the end of a piece)

    bool isLetter() const { return bits & Letter; }
    bool isNumber() const { return bits & Number; }
    bool isPunctuation() const { return bits & Punctuation; }
    bool isSymbol() const { return bits & Symbol; }
    bool isMark() const { return bits & Mark; }
    bool isControl() const { return bits & Control; }
    bool isWhitespace() const { return bits & Whitespace; }
    bool isNonspacingMark() const { return bits & NonspacingMark; }
};

CodepointFlags flagsOf(char32_t cp);
char32_t toLower(char32_t cp);  // simple (one code point) lowercase mapping
// First code point of the canonical decomposition (the base letter of a precomposed
// character), or cp itself.
char32_t decompositionFirst(char32_t cp);
// Full canonical decomposition of a Hangul syllable into its jamo; empty for other code points.
std::u32string decomposeHangul(char32_t cp);
bool isCjkIdeograph(char32_t cp);

// Byte length of the UTF-8 sequence a lead byte announces, from its high nibble alone
// (continuation and invalid bytes count 1); used where a tokenizer splits bytes, not characters.
inline std::size_t sequenceLength(unsigned char lead) {
    static constexpr unsigned char kLengths[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
    return kLengths[lead >> 4];
}

// Decodes the character at `offset` and advances past it, checking only the lead/continuation
// bit patterns as llama.cpp does (so tokenization matches it on odd input); a malformed or
// truncated sequence, or one past U+10FFFF, consumes one byte and yields U+FFFD.
char32_t decodeOne(std::string_view text, std::size_t& offset);
std::u32string decode(std::string_view text);
void appendUtf8(std::string& out, char32_t cp);
std::string encode(std::u32string_view cps);

// Appends `bytes` to `out` with each malformed sequence (strict UTF-8: no overlongs, surrogates
// or code points past U+10FFFF) replaced by one U+FFFD. With holdIncompleteTail, a trailing
// sequence that is valid so far but unfinished is left unconsumed. Returns the bytes consumed.
std::size_t appendValidated(std::string& out, std::string_view bytes, bool holdIncompleteTail);

}  // namespace parley::tokenizer::unicode
