// WordPiece (tokenizer.ggml.model = "bert", or a BERT vocab.txt): normalize and split into
// words, then greedy longest-prefix matching per word; a word with an unmatched remainder
// becomes [UNK]. The vocabulary is in GGUF's "phantom space" form: word-initial pieces carry a
// U+2581 prefix and continuation pieces have lost their "##".
#pragma once

#include "inference/tokenizer/vocab_tokenizer.h"

namespace parley::tokenizer {

enum class WordPieceNormalization {
    // llama.cpp's rules for GGUF files: lowercase, first code point of NFD, drop controls.
    Gguf,
    // Hugging Face BertTokenizer: clean text, optional lowercase + accent stripping (NFD, drop
    // non-spacing marks), CJK and punctuation split.
    BertUncased,
    BertCased,
};

class WordPieceTokenizer final : public VocabTokenizer {
  public:
    WordPieceTokenizer(Vocabulary vocab, WordPieceNormalization normalization);

    bool stripsLeadingSpace() const override { return true; }

  private:
    void encodeText(std::string_view text, bool startsSegment,
                    std::vector<TokenId>& out) const override;
    std::string normalTokenBytes(TokenId id) const override;
    std::vector<std::string> words(std::string_view text) const;
    void encodeWord(const std::string& word, std::vector<TokenId>& out) const;

    WordPieceNormalization normalization_;
};

}  // namespace parley::tokenizer
