// Byte-level BPE (tokenizer.ggml.model = "gpt2"): pre-tokenize, map every byte to its GPT-2
// stand-in character, then merge adjacent symbols by lowest merge rank within each piece.
#pragma once

#include <array>
#include <string>
#include <unordered_map>

#include "inference/tokenizer/pre_tokenizer.h"
#include "inference/tokenizer/vocab_tokenizer.h"

namespace parley::tokenizer {

class BpeTokenizer final : public VocabTokenizer {
  public:
    // Errors name the file and the bad merge line.
    static Result<std::unique_ptr<Tokenizer>> fromGguf(const gguf::GgufFile& file, Vocabulary vocab,
                                                       PreTokenizerSpec spec);

    bool stripsLeadingSpace() const override { return false; }

  private:
    BpeTokenizer(Vocabulary vocab, PreTokenizerSpec spec);

    struct Merge {
        int32_t rank;
        TokenId result;
    };
    static uint64_t pairKey(TokenId left, TokenId right) {
        return uint64_t(uint32_t(left)) << 32 | uint32_t(right);
    }

    void encodeText(std::string_view text, bool startsSegment,
                    std::vector<TokenId>& out) const override;
    std::string normalTokenBytes(TokenId id) const override;
    void encodePiece(std::string_view mapped, std::vector<TokenId>& out) const;

    PreTokenizerSpec spec_;
    std::unordered_map<uint64_t, Merge> merges_;  // (left id, right id) -> rank and merged id
    std::array<std::string, 256> byteChars_;      // byte -> its stand-in character (UTF-8)
    std::unordered_map<char32_t, unsigned char> charBytes_;  // the inverse
};

}  // namespace parley::tokenizer
