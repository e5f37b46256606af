#include "inference/generate/stop_matcher.h"

#include <algorithm>

namespace parley::generate {

std::string StopMatcher::push(std::string_view text) {
    if (stopped_)
        return {};
    held_.append(text);
    std::size_t cut = std::string::npos;
    for (const auto& s : stops_) {
        if (s.empty())
            continue;
        cut = std::min(cut, held_.find(s));
    }
    if (cut != std::string::npos) {
        stopped_ = true;
        std::string out = held_.substr(0, cut);
        held_.clear();
        return out;
    }
    // Keep the longest suffix of held_ that is a proper prefix of some stop string.
    std::size_t keep = 0;
    for (const auto& s : stops_) {
        for (std::size_t len = std::min(s.size() - (s.empty() ? 0 : 1), held_.size()); len > keep;
             --len) {
            if (held_.compare(held_.size() - len, len, s, 0, len) == 0) {
                keep = len;
                break;
            }
        }
    }
    std::string out = held_.substr(0, held_.size() - keep);
    held_.erase(0, held_.size() - keep);
    return out;
}

std::string StopMatcher::flush() {
    std::string out;
    if (!stopped_)
        out.swap(held_);
    held_.clear();
    return out;
}

}  // namespace parley::generate
