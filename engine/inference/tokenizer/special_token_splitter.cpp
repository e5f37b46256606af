#include "inference/tokenizer/special_token_splitter.h"

#include <algorithm>

namespace parley::tokenizer {

SpecialTokenSplitter::SpecialTokenSplitter(const Vocabulary& vocab) : vocab_(vocab) {
    terminal_.push_back(-1);
    for (TokenId id = 0; id < vocab.size(); ++id) {
        const TokenType type = vocab.type(id);
        if (type != TokenType::Control && type != TokenType::UserDefined &&
            type != TokenType::Unknown)
            continue;
        const std::string_view text = vocab.text(id);
        if (text.empty())
            continue;
        int32_t node = 0;
        for (const char c : text) {
            const uint64_t key = uint64_t(node) << 8 | static_cast<unsigned char>(c);
            const auto [it, inserted] = edges_.try_emplace(key, int32_t(terminal_.size()));
            if (inserted)
                terminal_.push_back(-1);
            node = it->second;
        }
        firstBytes_[static_cast<unsigned char>(text[0])] = true;
        terminal_[std::size_t(node)] = int32_t(candidates_.size());
        candidates_.push_back({id, type == TokenType::UserDefined});
    }
}

int32_t SpecialTokenSplitter::child(int32_t node, unsigned char byte) const {
    const auto it = edges_.find(uint64_t(node) << 8 | byte);
    return it == edges_.end() ? -1 : it->second;
}

std::vector<TokenId> SpecialTokenSplitter::occurring(std::string_view text,
                                                     bool parseSpecial) const {
    std::vector<TokenId> found;
    std::vector<bool> seen(candidates_.size(), false);
    for (std::size_t start = 0; start < text.size(); ++start) {
        if (!firstBytes_[static_cast<unsigned char>(text[start])])
            continue;
        int32_t node = 0;
        for (std::size_t i = start; i < text.size(); ++i) {
            node = child(node, static_cast<unsigned char>(text[i]));
            if (node < 0)
                break;
            const int32_t index = terminal_[std::size_t(node)];
            if (index < 0 || seen[std::size_t(index)])
                continue;
            const Candidate& candidate = candidates_[std::size_t(index)];
            if (candidate.userDefined || parseSpecial) {
                seen[std::size_t(index)] = true;
                found.push_back(candidate.id);
            }
        }
    }
    // Longest first; equal lengths by id so the result does not depend on the scan order.
    std::sort(found.begin(), found.end(), [&](TokenId a, TokenId b) {
        const auto la = vocab_.text(a).size(), lb = vocab_.text(b).size();
        return la != lb ? la > lb : a < b;
    });
    return found;
}

std::vector<Fragment> SpecialTokenSplitter::split(std::string_view text, bool parseSpecial) const {
    std::vector<Fragment> fragments;
    if (text.empty())
        return fragments;
    fragments.push_back({-1, text});
    for (const TokenId id : occurring(text, parseSpecial)) {
        const std::string_view special = vocab_.text(id);
        std::vector<Fragment> next;
        next.reserve(fragments.size() + 2);
        for (const Fragment& fragment : fragments) {
            if (!fragment.isText()) {
                next.push_back(fragment);
                continue;
            }
            std::string_view rest = fragment.text;
            for (auto at = rest.find(special); at != std::string_view::npos;
                 at = rest.find(special)) {
                if (at > 0)
                    next.push_back({-1, rest.substr(0, at)});
                next.push_back({id, special});
                rest.remove_prefix(at + special.size());
            }
            if (!rest.empty())
                next.push_back({-1, rest});
        }
        fragments = std::move(next);
    }
    return fragments;
}

}  // namespace parley::tokenizer
