// Cuts the special tokens written in a text out of it before the model tokenizer runs, the way
// llama.cpp does: candidates longest first, each occurrence in what is still plain text becomes
// a token. Control and unknown tokens only when asked to (rendered chat templates); user-defined
// tokens always.
#pragma once

#include <cstdint>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "inference/tokenizer/vocabulary.h"

namespace parley::tokenizer {

// Either a special token or a run of plain text (token < 0).
struct Fragment {
    TokenId token = -1;
    std::string_view text;

    bool isText() const { return token < 0; }
};

class SpecialTokenSplitter {
  public:
    explicit SpecialTokenSplitter(const Vocabulary& vocab);

    std::vector<Fragment> split(std::string_view text, bool parseSpecial) const;

  private:
    struct Candidate {
        TokenId id;
        bool userDefined;
    };
    // Byte trie of the candidates' texts, so a single scan finds which ones occur at all.
    int32_t child(int32_t node, unsigned char byte) const;
    std::vector<TokenId> occurring(std::string_view text, bool parseSpecial) const;

    const Vocabulary& vocab_;
    std::unordered_map<uint64_t, int32_t> edges_;  // (node << 8 | byte) -> node
    std::vector<int32_t> terminal_;                // node -> index into candidates_, or -1
    std::vector<Candidate> candidates_;
    bool firstBytes_[256] = {};
};

}  // namespace parley::tokenizer
