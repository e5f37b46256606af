// SentencePiece-style BPE over scored pieces (tokenizer.ggml.model = "llama"): spaces become
// U+2581, the highest-scoring adjacent pair that is a token merges first, and characters no
// token covers fall back to <0xNN> byte tokens.
#pragma once

#include <array>

#include "inference/tokenizer/vocab_tokenizer.h"

namespace parley::tokenizer {

class SpmTokenizer final : public VocabTokenizer {
  public:
    explicit SpmTokenizer(Vocabulary vocab);

    bool stripsLeadingSpace() const override { return vocab_.addSpacePrefix; }

  private:
    void encodeText(std::string_view text, bool startsSegment,
                    std::vector<TokenId>& out) const override;
    std::string normalTokenBytes(TokenId id) const override;
    void appendBytes(std::string_view bytes, std::vector<TokenId>& out) const;

    std::array<TokenId, 256> byteTokens_{};  // <0xNN>, or the one-byte token, or unknown
    std::vector<int16_t> byteValue_;         // per token: the byte a <0xNN> token stands for, or -1
};

}  // namespace parley::tokenizer
