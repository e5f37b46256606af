// What the tokenizer kinds share: the vocabulary, special-token splitting around the model
// tokenizer, BOS/EOS/SEP placement, sequence decoding and the Tokenizer accessors.
#pragma once

#include "inference/tokenizer/special_token_splitter.h"
#include "inference/tokenizer/tokenizer.h"
#include "inference/tokenizer/vocabulary.h"

namespace parley::tokenizer {

class VocabTokenizer : public Tokenizer {
  public:
    std::vector<TokenId> encode(std::string_view text, bool addSpecial,
                                bool parseSpecial) const override;
    std::string tokenBytes(TokenId id, bool renderSpecial) const override;
    std::string decode(std::span<const TokenId> ids, bool renderSpecial) const override;

    int32_t vocabSize() const override { return vocab_.size(); }
    TokenId bos() const override { return vocab_.bos; }
    TokenId eos() const override { return vocab_.eos; }
    bool addsBos() const override { return vocab_.addBos; }
    bool isEndOfGeneration(TokenId id) const override { return vocab_.isEndOfGeneration(id); }
    std::string_view tokenText(TokenId id) const override {
        return vocab_.contains(id) ? vocab_.text(id) : std::string_view{};
    }

  protected:
    VocabTokenizer(Vocabulary vocab, bool cleanSpaces);

    // Appends the tokens of one run of plain text; `startsSegment` when it begins the text or
    // follows a special token.
    virtual void encodeText(std::string_view text, bool startsSegment,
                            std::vector<TokenId>& out) const = 0;
    // The bytes of a normal (or byte) token; control, unknown and user-defined tokens are
    // handled by tokenBytes.
    virtual std::string normalTokenBytes(TokenId id) const = 0;

    Vocabulary vocab_;

  private:
    SpecialTokenSplitter splitter_;
    bool cleanSpaces_;
};

// "a ." -> "a.", "do n't" -> "don't", ...: the clean-up GPT-2-style and BERT decoders apply.
void cleanUpTokenizationSpaces(std::string& text);

}  // namespace parley::tokenizer
