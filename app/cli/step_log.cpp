#include "step_log.h"

#include <cstdio>

namespace parley::cli {

std::function<void(const serving::StepRecord&)> StepLog::recorder() {
    return [records = records_](const serving::StepRecord& r) {
        const std::lock_guard lock(records->mutex);
        records->steps.push_back(r);
    };
}

Status StepLog::write(const std::string& path) const {
    std::FILE* file = std::fopen(path.c_str(), "w");
    if (!file)
        return makeError("cannot write the step log " + path);
    const std::lock_guard lock(records_->mutex);
    for (const serving::StepRecord& r : records_->steps) {
        std::fprintf(file,
                     "{\"step\":%llu,\"decode_tokens\":%d,\"prompt_tokens\":%d,"
                     "\"context_tokens\":%d,\"schedule_ms\":%.3f,\"forward_ms\":%.3f,"
                     "\"sample_ms\":%.3f}\n",
                     static_cast<unsigned long long>(r.step), r.decodeTokens, r.promptTokens,
                     r.contextTokens, r.scheduleMs, r.forwardMs, r.sampleMs);
    }
    if (std::fclose(file) != 0)
        return makeError("cannot finish writing the step log " + path);
    return Ok{};
}

}  // namespace parley::cli
