// Pre-tokenizers of byte-level BPE vocabularies: the regex passes that cut text into the pieces
// BPE merges within, one per tokenizer.ggml.pre family, hand-written (the patterns need Unicode
// categories and the look-ahead of \s+(?!\S)).
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

namespace parley::tokenizer {

enum class PreTokenizerKind {
    Default,        // punctuation runs, GPT-2 pattern, digit runs, groups of three ASCII digits
    Gpt2,           // 's|'t|...| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
    Llama3,         // case-insensitive contractions, [^\r\n\p{L}\p{N}]?\p{L}+, \p{N}{1,3}, ...
    Qwen2,          // Llama3 with single digits
    Starcoder,      // \p{N} isolated, then the GPT-2 pattern (smollm, starcoder, refact, ...)
    DeepseekLlm,    // [\r\n], \s?cased letters+, \s?ASCII/CJK punctuation+, \s+$, CJK runs, \p{N}+
    DeepseekCoder,  // [\r\n], \s?\p{L}+, \s?\p{P}+, CJK runs, \p{N}
};

// How a tokenizer.ggml.pre value tokenizes, mirroring what llama.cpp derives from it.
struct PreTokenizerSpec {
    PreTokenizerKind kind = PreTokenizerKind::Default;
    bool cleanSpaces = true;    // decoding drops the space before . , ! ? and contractions
    bool ignoreMerges = false;  // a piece that is itself a token is emitted whole
    bool addBos = false;        // default of add_bos when the file does not say
};

std::optional<PreTokenizerSpec> preTokenizerSpec(std::string_view name);

// Cuts `text` (code points) into pieces; returns the end offset of each piece, in order.
std::vector<std::size_t> preTokenize(std::u32string_view text, PreTokenizerKind kind);

}  // namespace parley::tokenizer
