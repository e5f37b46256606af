// `--step-log FILE` of the serving benchmarks: every engine step's record (decode and prompt
// tokens, longest context, schedule / forward / sample milliseconds) as one JSON line each, to see
// which steps stall the streams and why.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/result.h"
#include "serving/serving_engine.h"

namespace parley::cli {

class StepLog {
  public:
    // The callback for ServingConfig::onStep; appends under a mutex (the engine thread never
    // waits for more than another append).
    std::function<void(const serving::StepRecord&)> recorder();
    // Writes the records so far to `path`, one JSON object per line.
    Status write(const std::string& path) const;

  private:
    struct Records {
        std::mutex mutex;
        std::vector<serving::StepRecord> steps;
    };
    std::shared_ptr<Records> records_ = std::make_shared<Records>();
};

}  // namespace parley::cli
