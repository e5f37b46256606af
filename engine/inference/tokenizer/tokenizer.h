// Text <-> token ids for the vocabularies GGUF files carry: SentencePiece-style ("llama"),
// byte-level BPE ("gpt2", pre-tokenizer chosen by tokenizer.ggml.pre) and WordPiece ("bert").
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "inference/gguf/gguf_file.h"

namespace parley::tokenizer {

using TokenId = int32_t;

class Tokenizer {
  public:
    // Errors name the file and the missing or inconsistent key.
    static Result<std::unique_ptr<Tokenizer>> fromGguf(const gguf::GgufFile& file);
    virtual ~Tokenizer() = default;

    // addSpecial: BOS/EOS (and BERT's CLS/SEP) as the model's metadata says.
    // parseSpecial: recognise control tokens written in the text (rendered chat templates only;
    // never for untrusted user text). User-defined tokens are always recognised.
    virtual std::vector<TokenId> encode(std::string_view text, bool addSpecial,
                                        bool parseSpecial) const = 0;

    // The bytes a token stands for (may be part of a UTF-8 character). Control tokens give ""
    // unless renderSpecial.
    virtual std::string tokenBytes(TokenId id, bool renderSpecial) const = 0;
    // Whole-sequence decoding (the SPM leading-space rule applied once, at the start).
    virtual std::string decode(std::span<const TokenId> ids, bool renderSpecial) const = 0;

    virtual int32_t vocabSize() const = 0;
    virtual TokenId bos() const = 0;  // -1 when the model has none
    virtual TokenId eos() const = 0;
    virtual bool addsBos() const = 0;
    // eos, eot, <|im_end|>, <end_of_turn>, ...
    virtual bool isEndOfGeneration(TokenId id) const = 0;
    virtual std::string_view tokenText(TokenId id) const = 0;  // as stored in the vocab
    // Whether decoding drops one leading space at the start of a sequence (the SentencePiece
    // dummy prefix, WordPiece's word-initial marker).
    virtual bool stripsLeadingSpace() const { return false; }
};

// WordPiece for BERT-style sentence embedders from a plain vocab.txt (one token per line, line
// number = id, "##" continuations), e.g. all-MiniLM-L6-v2: lowercasing and accent stripping
// when `uncased`, CJK/punctuation splitting, [CLS] ... [SEP] around the text.
Result<std::unique_ptr<Tokenizer>> wordPieceFromVocabFile(const std::filesystem::path& vocabTxt,
                                                          bool uncased = true);

// Turns a token stream into text that never ends in half a UTF-8 character.
class StreamingDecoder {
  public:
    explicit StreamingDecoder(const Tokenizer& tokenizer, bool renderSpecial = false);
    std::string push(TokenId id);  // the complete characters now available
    std::string flush();           // what is left, invalid bytes replaced by U+FFFD

  private:
    const Tokenizer& tokenizer_;
    bool renderSpecial_;
    bool first_ = true;
    std::string pending_;
};

}  // namespace parley::tokenizer
