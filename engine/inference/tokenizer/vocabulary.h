// The token table every tokenizer kind shares: texts, scores, types, special ids, the
// add-BOS/EOS flags and the end-of-generation set, read from GGUF tokenizer.ggml.* keys.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/result.h"
#include "inference/gguf/gguf_file.h"
#include "inference/tokenizer/tokenizer.h"

namespace parley::tokenizer {

// tokenizer.ggml.token_type values.
enum class TokenType : int32_t {
    Undefined = 0,
    Normal = 1,
    Unknown = 2,
    Control = 3,
    UserDefined = 4,
    Unused = 5,
    Byte = 6,
};

// Special ids a model kind assumes when its file does not name them (llama.cpp's defaults).
struct SpecialDefaults {
    TokenId bos = -1;
    TokenId eos = -1;
    TokenId unknown = -1;
    TokenId separator = -1;
    TokenId padding = -1;
    bool addBos = false;
    bool addEos = false;
    bool addSeparator = false;
    bool addSpacePrefix = false;
};

class Vocabulary {
  public:
    // Reads tokens, scores, token types, special ids and add_* flags; checks array lengths and
    // id ranges. Errors read "<file>: <key>: <problem>".
    static Result<Vocabulary> fromGguf(const gguf::GgufFile& file, const SpecialDefaults& defaults);
    // A vocabulary of normal tokens (one per text), for tokenizers built outside GGUF.
    static Vocabulary fromTexts(const std::vector<std::string>& texts);

    Vocabulary(Vocabulary&&) noexcept = default;
    Vocabulary& operator=(Vocabulary&&) noexcept = default;

    int32_t size() const { return int32_t(types_.size()); }
    std::string_view text(TokenId id) const {
        return {arena_.data() + offsets_[id], offsets_[id + 1] - offsets_[id]};
    }
    TokenType type(TokenId id) const { return types_[id]; }
    float score(TokenId id) const { return scores_.empty() ? 0.0f : scores_[id]; }
    bool contains(TokenId id) const { return id >= 0 && id < size(); }
    std::optional<TokenId> find(std::string_view text) const;
    std::size_t maxTokenBytes() const { return maxTokenBytes_; }

    // Marks a token as control (llama.cpp does so for end-of-turn texts whatever the file says).
    void setType(TokenId id, TokenType type) { types_[id] = type; }

    TokenId bos = -1;
    TokenId eos = -1;
    TokenId unknown = -1;
    TokenId separator = -1;
    TokenId padding = -1;
    TokenId endOfTurn = -1;
    TokenId endOfMessage = -1;
    bool addBos = false;
    bool addEos = false;
    bool addSeparator = false;
    bool addSpacePrefix = false;

    bool isEndOfGeneration(TokenId id) const {
        return contains(id) && endOfGeneration_[std::size_t(id)];
    }
    // eos, eot, eom and the tokens whose text ends a turn in common chat formats; those tokens
    // become control tokens.
    void buildEndOfGeneration();

  private:
    Vocabulary() = default;
    void indexTexts();

    // All token texts back to back; a vector, not a string, so that moving it keeps the buffer
    // (and the views into it) in place.
    std::vector<char> arena_;
    std::vector<uint32_t> offsets_;  // size() + 1 entries into arena_
    std::vector<float> scores_;      // empty when the file has none
    std::vector<TokenType> types_;
    std::unordered_map<std::string_view, TokenId> ids_;  // views into arena_
    std::vector<bool> endOfGeneration_;
    std::size_t maxTokenBytes_ = 0;
};

}  // namespace parley::tokenizer
