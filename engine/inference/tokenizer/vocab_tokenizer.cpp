#include "inference/tokenizer/vocab_tokenizer.h"

#include <array>

namespace parley::tokenizer {

VocabTokenizer::VocabTokenizer(Vocabulary vocab, bool cleanSpaces)
    : vocab_(std::move(vocab)), splitter_(vocab_), cleanSpaces_(cleanSpaces) {}

std::vector<TokenId> VocabTokenizer::encode(std::string_view text, bool addSpecial,
                                            bool parseSpecial) const {
    std::vector<TokenId> out;
    out.reserve(text.size() / 3 + 4);
    if (addSpecial && vocab_.addBos && vocab_.bos >= 0)
        out.push_back(vocab_.bos);
    bool startsSegment = true;
    for (const Fragment& fragment : splitter_.split(text, parseSpecial)) {
        if (fragment.isText()) {
            encodeText(fragment.text, startsSegment, out);
            startsSegment = false;
        } else {
            out.push_back(fragment.token);
            startsSegment = true;
        }
    }
    if (addSpecial && vocab_.addEos && vocab_.eos >= 0)
        out.push_back(vocab_.eos);
    if (addSpecial && vocab_.addSeparator && vocab_.separator >= 0)
        out.push_back(vocab_.separator);
    return out;
}

std::string VocabTokenizer::tokenBytes(TokenId id, bool renderSpecial) const {
    if (!vocab_.contains(id))
        return {};
    switch (vocab_.type(id)) {
        case TokenType::Control:
        case TokenType::Unknown:
            return renderSpecial ? std::string(vocab_.text(id)) : std::string{};
        case TokenType::UserDefined:
            return std::string(vocab_.text(id));
        case TokenType::Normal:
        case TokenType::Byte:
            return normalTokenBytes(id);
        case TokenType::Undefined:
        case TokenType::Unused:
            break;
    }
    return {};
}

std::string VocabTokenizer::decode(std::span<const TokenId> ids, bool renderSpecial) const {
    std::string text;
    bool atStart = true;
    for (const TokenId id : ids) {
        std::string piece = tokenBytes(id, renderSpecial);
        if (atStart && stripsLeadingSpace() && !piece.empty() && piece[0] == ' ')
            piece.erase(0, 1);
        atStart = atStart && piece.empty();
        text += piece;
    }
    if (cleanSpaces_)
        cleanUpTokenizationSpaces(text);
    return text;
}

void cleanUpTokenizationSpaces(std::string& text) {
    static constexpr std::array<std::pair<std::string_view, std::string_view>, 10> kRules{{
        {" .", "."},
        {" ?", "?"},
        {" !", "!"},
        {" ,", ","},
        {" ' ", "'"},
        {" n't", "n't"},
        {" 'm", "'m"},
        {" 's", "'s"},
        {" 've", "'ve"},
        {" 're", "'re"},
    }};
    for (const auto& [from, to] : kRules) {
        std::string out;
        out.reserve(text.size());
        std::size_t start = 0;
        for (auto at = text.find(from); at != std::string::npos; at = text.find(from, start)) {
            out.append(text, start, at - start);
            out.append(to);
            start = at + from.size();
        }
        out.append(text, start);
        text = std::move(out);
    }
}

}  // namespace parley::tokenizer
