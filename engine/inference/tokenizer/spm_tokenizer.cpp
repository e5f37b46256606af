#include "inference/tokenizer/spm_tokenizer.h"

#include <cstdio>
#include <queue>

#include "inference/tokenizer/symbol_chain.h"
#include "inference/tokenizer/unicode.h"

namespace parley::tokenizer {

namespace {

constexpr std::string_view kSpaceMarker = "\xE2\x96\x81";  // U+2581

// "<0x4A>" -> 0x4A; -1 for anything else.
int16_t parseByteToken(std::string_view text) {
    if (text.size() != 6 || text.substr(0, 3) != "<0x" || text[5] != '>')
        return -1;
    int16_t value = 0;
    for (const char c : text.substr(3, 2)) {
        int digit = -1;
        if (c >= '0' && c <= '9')
            digit = c - '0';
        else if (c >= 'A' && c <= 'F')
            digit = c - 'A' + 10;
        else if (c >= 'a' && c <= 'f')
            digit = c - 'a' + 10;
        if (digit < 0)
            return -1;
        value = int16_t(value * 16 + digit);
    }
    return value;
}

struct Bigram {
    float score;
    int32_t left;
    int32_t right;
    uint32_t length;  // bytes of left + right when queued; stale when the symbols changed

    // Highest score first; on ties the leftmost pair.
    bool operator<(const Bigram& other) const {
        return score < other.score || (score == other.score && left > other.left);
    }
};

}  // namespace

SpmTokenizer::SpmTokenizer(Vocabulary vocab) : VocabTokenizer(std::move(vocab), false) {
    byteValue_.assign(std::size_t(vocab_.size()), -1);
    for (TokenId id = 0; id < vocab_.size(); ++id) {
        if (vocab_.type(id) == TokenType::Byte)
            byteValue_[std::size_t(id)] = parseByteToken(vocab_.text(id));
    }
    for (int byte = 0; byte < 256; ++byte) {
        char name[8];
        std::snprintf(name, sizeof name, "<0x%02X>", byte);
        const char raw[1] = {char(byte)};
        if (const auto id = vocab_.find(name))
            byteTokens_[std::size_t(byte)] = *id;
        else if (const auto single = vocab_.find(std::string_view(raw, 1)))
            byteTokens_[std::size_t(byte)] = *single;
        else
            byteTokens_[std::size_t(byte)] = vocab_.unknown;
    }
}

void SpmTokenizer::appendBytes(std::string_view bytes, std::vector<TokenId>& out) const {
    for (const char c : bytes) {
        const TokenId id = byteTokens_[static_cast<unsigned char>(c)];
        if (id >= 0)
            out.push_back(id);
    }
}

void SpmTokenizer::encodeText(std::string_view raw, bool startsSegment,
                              std::vector<TokenId>& out) const {
    std::string text;
    text.reserve(raw.size() * 2 + 3);
    if (vocab_.addSpacePrefix && startsSegment)
        text.append(kSpaceMarker);
    for (const char c : raw) {
        if (c == ' ')
            text.append(kSpaceMarker);
        else
            text.push_back(c);
    }
    if (text.empty())
        return;

    // One symbol per UTF-8 character (by lead byte, as SentencePiece splits).
    SymbolChain symbols(text);

    std::priority_queue<Bigram> queue;
    const auto tryPair = [&](int32_t left, int32_t right) {
        if (left < 0 || right < 0)
            return;
        const Symbol& l = symbols[left];
        const uint32_t length = l.length + symbols[right].length;
        if (const auto id = vocab_.find(std::string_view(text).substr(l.start, length)))
            queue.push({vocab_.score(*id), left, right, length});
    };
    for (int32_t i = 1; i < symbols.size(); ++i)
        tryPair(i - 1, i);

    while (!queue.empty()) {
        const Bigram bigram = queue.top();
        queue.pop();
        const Symbol& left = symbols[bigram.left];
        const Symbol& right = symbols[bigram.right];
        if (left.length == 0 || right.length == 0 || left.length + right.length != bigram.length)
            continue;
        symbols.merge(bigram.left, bigram.right);
        tryPair(left.prev, bigram.left);
        tryPair(bigram.left, left.next);
    }

    symbols.forEach([&](const Symbol& symbol) {
        const std::string_view piece = symbols.text(symbol);
        if (const auto id = vocab_.find(piece))
            out.push_back(*id);
        else
            appendBytes(piece, out);
    });
}

std::string SpmTokenizer::normalTokenBytes(TokenId id) const {
    if (vocab_.type(id) == TokenType::Byte) {
        const int16_t value = byteValue_[std::size_t(id)];
        return value >= 0 ? std::string(1, char(value)) : std::string{};
    }
    const std::string_view text = vocab_.text(id);
    std::string bytes;
    bytes.reserve(text.size());
    for (std::size_t i = 0; i < text.size();) {
        if (text.substr(i, kSpaceMarker.size()) == kSpaceMarker) {
            bytes.push_back(' ');
            i += kSpaceMarker.size();
        } else {
            bytes.push_back(text[i++]);
        }
    }
    return bytes;
}

}  // namespace parley::tokenizer
