// A piece of text as a doubly linked chain of symbols, one per UTF-8 character at first, that the
// merge tokenizers join pairwise: SentencePiece by token score, BPE by merge rank. Only the rule
// for which pair goes next differs between them; splitting, joining and walking the chain live
// here.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string_view>
#include <vector>

#include "inference/tokenizer/tokenizer.h"
#include "inference/tokenizer/unicode.h"

namespace parley::tokenizer {

struct Symbol {
    uint32_t start;
    uint32_t length;  // 0 once merged into its left neighbour
    int32_t prev;
    int32_t next;
    TokenId id;  // -1 while the symbol's text is not known as a token
};

class SymbolChain {
  public:
    // Splits by UTF-8 lead byte (a truncated sequence at the end is one symbol of what is left).
    explicit SymbolChain(std::string_view text) : text_(text) {
        symbols_.reserve(text.size());
        for (std::size_t offset = 0; offset < text.size();) {
            const std::size_t length =
                std::min(unicode::sequenceLength(static_cast<unsigned char>(text[offset])),
                         text.size() - offset);
            const int32_t index = int32_t(symbols_.size());
            symbols_.push_back({uint32_t(offset), uint32_t(length), index - 1,
                                offset + length == text.size() ? -1 : index + 1, -1});
            offset += length;
        }
    }

    int32_t size() const { return int32_t(symbols_.size()); }
    Symbol& operator[](int32_t i) { return symbols_[std::size_t(i)]; }
    const Symbol& operator[](int32_t i) const { return symbols_[std::size_t(i)]; }
    std::string_view text(const Symbol& s) const { return text_.substr(s.start, s.length); }

    // Joins `right` (the symbol after `left`) into `left`.
    void merge(int32_t left, int32_t right) {
        Symbol& l = (*this)[left];
        Symbol& r = (*this)[right];
        l.length += r.length;
        r.length = 0;
        l.next = r.next;
        if (r.next >= 0)
            (*this)[r.next].prev = left;
    }

    // Calls fn(symbol) for the symbols still in the chain, left to right.
    template <class Fn>
    void forEach(Fn&& fn) const {
        if (symbols_.empty())
            return;
        for (int32_t i = 0; i >= 0; i = (*this)[i].next)
            fn((*this)[i]);
    }

  private:
    std::string_view text_;
    std::vector<Symbol> symbols_;
};

}  // namespace parley::tokenizer
