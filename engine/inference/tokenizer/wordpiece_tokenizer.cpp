#include "inference/tokenizer/wordpiece_tokenizer.h"

#include "inference/tokenizer/unicode.h"

namespace parley::tokenizer {

namespace {

constexpr std::string_view kWordMarker = "\xE2\x96\x81";  // U+2581
constexpr std::size_t kMaxWordCharacters = 100;           // longer words become [UNK] (BERT)

// BERT's punctuation: every ASCII non-alphanumeric printable plus Unicode P*.
bool isBertPunctuation(char32_t cp, unicode::CodepointFlags flags) {
    return (cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) ||
           (cp >= 123 && cp <= 126) || flags.isPunctuation();
}

}  // namespace

WordPieceTokenizer::WordPieceTokenizer(Vocabulary vocab, WordPieceNormalization normalization)
    : VocabTokenizer(std::move(vocab), normalization != WordPieceNormalization::Gguf),
      normalization_(normalization) {}

std::vector<std::string> WordPieceTokenizer::words(std::string_view text) const {
    std::vector<std::string> result(1);
    const auto endWord = [&] {
        if (!result.back().empty())
            result.emplace_back();
    };
    const auto addSingle = [&](char32_t cp) {
        endWord();
        unicode::appendUtf8(result.back(), cp);
        result.emplace_back();
    };
    const bool hf = normalization_ != WordPieceNormalization::Gguf;
    const bool lower = normalization_ != WordPieceNormalization::BertCased;
    for (std::size_t offset = 0; offset < text.size();) {
        const char32_t original = unicode::decodeOne(text, offset);
        // Accent stripping keeps the first code point of the decomposition (the base letter).
        std::u32string cps;
        if (!hf) {
            cps.push_back(unicode::decompositionFirst(original));
        } else if (lower) {
            const char32_t cp = unicode::toLower(original);
            cps = unicode::decomposeHangul(cp);
            // Lowercase the base again: U+0130 (I with dot) only lowercases after decomposing.
            if (cps.empty())
                cps.push_back(unicode::toLower(unicode::decompositionFirst(cp)));
        } else {
            cps.push_back(original);
        }
        for (const char32_t cp : cps) {
            const auto flags = unicode::flagsOf(cp);
            const bool whitespace = hf ? (cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' ||
                                          (flags.bits & unicode::CodepointFlags::Separator))
                                       : flags.isWhitespace();
            if (whitespace) {
                endWord();
                continue;
            }
            // Unassigned code points are kept (as Hugging Face's Rust normalizer does).
            if (cp == 0 || cp == unicode::kReplacementCharacter || flags.isControl())
                continue;
            if (hf && lower && flags.isNonspacingMark())
                continue;  // stand-alone combining accents go with accent stripping
            const bool single = hf ? isBertPunctuation(cp, flags) || unicode::isCjkIdeograph(cp)
                                   : flags.isPunctuation() || (cp < 0x7F && flags.isSymbol()) ||
                                         unicode::isCjkIdeograph(cp);
            const char32_t emitted = hf ? cp : unicode::toLower(cp);
            if (single)
                addSingle(emitted);
            else
                unicode::appendUtf8(result.back(), emitted);
        }
    }
    if (result.back().empty())
        result.pop_back();
    return result;
}

void WordPieceTokenizer::encodeWord(const std::string& word, std::vector<TokenId>& out) const {
    const std::string marked = std::string(kWordMarker) + word;
    const std::size_t n = marked.size();
    const std::size_t before = out.size();
    bool matched = true;
    if (normalization_ != WordPieceNormalization::Gguf &&
        unicode::decode(word).size() > kMaxWordCharacters)
        matched = false;
    for (std::size_t i = 0; matched && i < n;) {
        matched = false;
        for (std::size_t j = std::min(n, i + vocab_.maxTokenBytes()); j > i; --j) {
            if (const auto id = vocab_.find(std::string_view(marked).substr(i, j - i))) {
                out.push_back(*id);
                i = j;
                matched = true;
                break;
            }
        }
    }
    if (!matched) {
        out.resize(before);
        if (vocab_.unknown >= 0)
            out.push_back(vocab_.unknown);
    }
}

void WordPieceTokenizer::encodeText(std::string_view text, bool, std::vector<TokenId>& out) const {
    for (const std::string& word : words(text))
        encodeWord(word, out);
}

std::string WordPieceTokenizer::normalTokenBytes(TokenId id) const {
    const std::string_view text = vocab_.text(id);
    if (!text.starts_with(kWordMarker))
        return std::string(text);
    std::string bytes(1, ' ');
    bytes.append(text.substr(kWordMarker.size()));
    return bytes;
}

}  // namespace parley::tokenizer
