#include "inference/tokenizer/bpe_tokenizer.h"

#include <queue>

#include "inference/tokenizer/symbol_chain.h"
#include "inference/tokenizer/unicode.h"

namespace parley::tokenizer {

namespace {

// GPT-2's byte -> character map: printable Latin-1 bytes stand for themselves, the other 68
// bytes take U+0100, U+0101, ... in byte order.
std::array<char32_t, 256> gpt2ByteMap() {
    std::array<char32_t, 256> map{};
    char32_t next = 0x100;
    for (int b = 0; b < 256; ++b) {
        const bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
        map[std::size_t(b)] = printable ? char32_t(b) : next++;
    }
    return map;
}

struct Bigram {
    int32_t rank;
    int32_t left;
    int32_t right;
    uint32_t leftLength;  // lengths when queued; a change means the pair is stale
    uint32_t rightLength;
    TokenId result;

    // Lowest rank first; on ties the leftmost pair.
    bool operator<(const Bigram& other) const {
        return rank > other.rank || (rank == other.rank && left > other.left);
    }
};

}  // namespace

BpeTokenizer::BpeTokenizer(Vocabulary vocab, PreTokenizerSpec spec)
    : VocabTokenizer(std::move(vocab), spec.cleanSpaces), spec_(spec) {
    const auto map = gpt2ByteMap();
    for (int b = 0; b < 256; ++b) {
        unicode::appendUtf8(byteChars_[std::size_t(b)], map[std::size_t(b)]);
        charBytes_[map[std::size_t(b)]] = static_cast<unsigned char>(b);
    }
}

Result<std::unique_ptr<Tokenizer>> BpeTokenizer::fromGguf(const gguf::GgufFile& file,
                                                          Vocabulary vocab, PreTokenizerSpec spec) {
    constexpr std::string_view kMerges = "tokenizer.ggml.merges";
    const auto* merges = file.getStringArray(kMerges);
    if (merges == nullptr)
        return makeError(file.name() + ": " + std::string(kMerges) + ": missing");
    std::unique_ptr<BpeTokenizer> tokenizer(new BpeTokenizer(std::move(vocab), spec));
    const Vocabulary& v = tokenizer->vocab_;
    tokenizer->merges_.reserve(merges->size());
    for (std::size_t rank = 0; rank < merges->size(); ++rank) {
        const std::string_view line = (*merges)[rank];
        const auto space = line.find(' ', 1);
        if (space == std::string_view::npos) {
            return makeError(file.name() + ": " + std::string(kMerges) + "[" +
                             std::to_string(rank) + "]: no space in \"" + std::string(line) + "\"");
        }
        const auto left = v.find(line.substr(0, space));
        const auto right = v.find(line.substr(space + 1));
        if (!left || !right)
            continue;  // a merge of non-tokens can never apply to token symbols
        std::string merged(line.substr(0, space));
        merged.append(line.substr(space + 1));
        const TokenId result = v.find(merged).value_or(-1);
        // The first occurrence of a pair holds its rank.
        tokenizer->merges_.try_emplace(pairKey(*left, *right), Merge{int32_t(rank), result});
    }
    return std::unique_ptr<Tokenizer>(std::move(tokenizer));
}

void BpeTokenizer::encodeText(std::string_view text, bool, std::vector<TokenId>& out) const {
    const std::u32string cps = unicode::decode(text);
    std::string utf8;
    std::string mapped;
    std::size_t begin = 0;
    for (const std::size_t end : preTokenize(cps, spec_.kind)) {
        utf8.clear();
        for (std::size_t i = begin; i < end; ++i)
            unicode::appendUtf8(utf8, cps[i]);
        mapped.clear();
        for (const char c : utf8)
            mapped += byteChars_[static_cast<unsigned char>(c)];
        encodePiece(mapped, out);
        begin = end;
    }
}

void BpeTokenizer::encodePiece(std::string_view mapped, std::vector<TokenId>& out) const {
    if (spec_.ignoreMerges) {
        if (const auto id = vocab_.find(mapped)) {
            out.push_back(*id);
            return;
        }
    }
    SymbolChain symbols(mapped);
    for (int32_t i = 0; i < symbols.size(); ++i)
        symbols[i].id = vocab_.find(symbols.text(symbols[i])).value_or(-1);

    std::priority_queue<Bigram> queue;
    const auto tryPair = [&](int32_t left, int32_t right) {
        if (left < 0 || right < 0)
            return;
        const Symbol& l = symbols[left];
        const Symbol& r = symbols[right];
        if (l.id < 0 || r.id < 0)
            return;
        const auto it = merges_.find(pairKey(l.id, r.id));
        if (it == merges_.end())
            return;
        queue.push({it->second.rank, left, right, l.length, r.length, it->second.result});
    };
    for (int32_t i = 1; i < symbols.size(); ++i)
        tryPair(i - 1, i);

    while (!queue.empty()) {
        const Bigram bigram = queue.top();
        queue.pop();
        Symbol& left = symbols[bigram.left];
        if (left.length != bigram.leftLength || symbols[bigram.right].length != bigram.rightLength)
            continue;
        symbols.merge(bigram.left, bigram.right);
        left.id = bigram.result;
        tryPair(left.prev, bigram.left);
        tryPair(bigram.left, left.next);
    }

    symbols.forEach([&](const Symbol& symbol) {
        if (symbol.id >= 0) {
            out.push_back(symbol.id);
            return;
        }
        // No token for this symbol: emit whichever of its single bytes are tokens.
        for (const char c : symbols.text(symbol)) {
            if (const auto id = vocab_.find(std::string_view(&c, 1)))
                out.push_back(*id);
        }
    });
}

std::string BpeTokenizer::normalTokenBytes(TokenId id) const {
    const std::string_view text = vocab_.text(id);
    std::string bytes;
    bytes.reserve(text.size());
    for (std::size_t offset = 0; offset < text.size();) {
        const std::size_t start = offset;
        const char32_t cp = unicode::decodeOne(text, offset);
        const auto it = charBytes_.find(cp);
        if (it != charBytes_.end())
            bytes.push_back(char(it->second));
        else
            bytes.append(text.substr(start, offset - start));
    }
    return bytes;
}

}  // namespace parley::tokenizer
