// Finds stop strings in streamed text. Text that could still become the start of a stop string is
// held back, so a client never sees part of a stop sequence.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace parley::generate {

class StopMatcher {
  public:
    explicit StopMatcher(std::vector<std::string> stops) : stops_(std::move(stops)) {}

    // Appends `text`; returns what can be released now. Sets stopped() when a stop string
    // appeared (the stop string and everything after it are dropped).
    std::string push(std::string_view text);
    std::string flush();  // releases the held-back tail at the end of generation
    bool stopped() const { return stopped_; }

  private:
    std::vector<std::string> stops_;
    std::string held_;
    bool stopped_ = false;
};

}  // namespace parley::generate
