#include "inference/tokenizer/vocabulary.h"

#include <array>

namespace parley::tokenizer {

namespace {

// Token texts that end a turn in the chat formats we meet (llama.cpp's list; it includes
// "</s>", which is why Gemma's user-defined "</s>" is only parsed as special on request).
constexpr std::array<std::string_view, 10> kEndOfGenerationTexts{
    "<|eot_id|>", "<|im_end|>",      "<|end|>", "<end_of_turn>",      "<|endoftext|>",
    "<|eom_id|>", "<|end_of_text|>", "<EOT>",   "<end_of_utterance>", "</s>",
};

Error keyError(const gguf::GgufFile& file, std::string_view key, std::string_view problem) {
    return makeError(file.name() + ": " + std::string(key) + ": " + std::string(problem));
}

// A special id from the file when present and in range, else the kind's default (if in range).
TokenId specialId(const gguf::GgufFile& file, std::string_view key, TokenId fallback,
                  int32_t vocabSize) {
    if (const auto id = file.getUnsigned(key); id && *id < uint64_t(vocabSize))
        return TokenId(*id);
    return fallback >= 0 && fallback < vocabSize ? fallback : -1;
}

}  // namespace

Result<Vocabulary> Vocabulary::fromGguf(const gguf::GgufFile& file,
                                        const SpecialDefaults& defaults) {
    constexpr std::string_view kTokens = "tokenizer.ggml.tokens";
    constexpr std::string_view kScores = "tokenizer.ggml.scores";
    constexpr std::string_view kTypes = "tokenizer.ggml.token_type";

    const auto* texts = file.getStringArray(kTokens);
    if (texts == nullptr)
        return keyError(file, kTokens, "missing or not a string array");
    if (texts->empty())
        return keyError(file, kTokens, "empty vocabulary");
    if (texts->size() > uint64_t(INT32_MAX) / 2)
        return keyError(file, kTokens, "too many tokens");

    Vocabulary vocab;
    const std::size_t n = texts->size();
    std::size_t totalBytes = 0;
    for (const auto text : *texts)
        totalBytes += text.size();
    if (totalBytes > UINT32_MAX)
        return keyError(file, kTokens, "token texts too large");
    vocab.arena_.reserve(totalBytes);
    vocab.offsets_.reserve(n + 1);
    vocab.offsets_.push_back(0);
    for (const auto text : *texts) {
        vocab.arena_.insert(vocab.arena_.end(), text.begin(), text.end());
        vocab.offsets_.push_back(uint32_t(vocab.arena_.size()));
    }

    if (file.find(kScores) != nullptr) {
        const auto scores = file.getNumberArray(kScores);
        if (!scores || scores->size() != n)
            return keyError(file, kScores, "not a numeric array with one score per token");
        vocab.scores_.assign(scores->begin(), scores->end());
    }

    vocab.types_.assign(n, TokenType::Normal);
    if (file.find(kTypes) != nullptr) {
        const auto types = file.getNumberArray(kTypes);
        if (!types || types->size() != n)
            return keyError(file, kTypes, "not a numeric array with one type per token");
        for (std::size_t i = 0; i < n; ++i) {
            const double t = (*types)[i];
            vocab.types_[i] = (t >= 0 && t <= 6) ? TokenType(int32_t(t)) : TokenType::Undefined;
        }
    }

    const int32_t size = int32_t(n);
    // BERT converters name [CLS] as cls_token_id rather than BOS.
    vocab.bos = specialId(file, "tokenizer.ggml.bos_token_id",
                          specialId(file, "tokenizer.ggml.cls_token_id", defaults.bos, size), size);
    vocab.eos = specialId(file, "tokenizer.ggml.eos_token_id", defaults.eos, size);
    vocab.unknown = specialId(file, "tokenizer.ggml.unknown_token_id", defaults.unknown, size);
    vocab.separator =
        specialId(file, "tokenizer.ggml.seperator_token_id", defaults.separator, size);
    vocab.padding = specialId(file, "tokenizer.ggml.padding_token_id", defaults.padding, size);
    vocab.endOfTurn = specialId(file, "tokenizer.ggml.eot_token_id", -1, size);
    vocab.endOfMessage = specialId(file, "tokenizer.ggml.eom_token_id", -1, size);
    vocab.addBos = file.getBool("tokenizer.ggml.add_bos_token").value_or(defaults.addBos);
    vocab.addEos = file.getBool("tokenizer.ggml.add_eos_token").value_or(defaults.addEos);
    vocab.addSeparator =
        file.getBool("tokenizer.ggml.add_sep_token").value_or(defaults.addSeparator);
    vocab.addSpacePrefix =
        file.getBool("tokenizer.ggml.add_space_prefix").value_or(defaults.addSpacePrefix);

    vocab.indexTexts();
    vocab.buildEndOfGeneration();
    return vocab;
}

Vocabulary Vocabulary::fromTexts(const std::vector<std::string>& texts) {
    Vocabulary vocab;
    vocab.offsets_.push_back(0);
    for (const auto& text : texts) {
        vocab.arena_.insert(vocab.arena_.end(), text.begin(), text.end());
        vocab.offsets_.push_back(uint32_t(vocab.arena_.size()));
    }
    vocab.types_.assign(texts.size(), TokenType::Normal);
    vocab.indexTexts();
    vocab.buildEndOfGeneration();
    return vocab;
}

void Vocabulary::indexTexts() {
    ids_.reserve(types_.size());
    for (TokenId id = 0; id < size(); ++id) {
        const auto t = text(id);
        ids_.insert_or_assign(t, id);  // a repeated text resolves to its last id, as in llama.cpp
        maxTokenBytes_ = std::max(maxTokenBytes_, t.size());
    }
}

std::optional<TokenId> Vocabulary::find(std::string_view text) const {
    const auto it = ids_.find(text);
    if (it == ids_.end())
        return std::nullopt;
    return it->second;
}

void Vocabulary::buildEndOfGeneration() {
    endOfGeneration_.assign(types_.size(), false);
    for (const TokenId id : {eos, endOfTurn, endOfMessage}) {
        if (contains(id))
            endOfGeneration_[std::size_t(id)] = true;
    }
    for (const auto text : kEndOfGenerationTexts) {
        if (const auto id = find(text)) {
            endOfGeneration_[std::size_t(*id)] = true;
            types_[std::size_t(*id)] = TokenType::Control;
        }
    }
}

}  // namespace parley::tokenizer
