// `parley-cli bench --concurrency`: many streams through the serving engine at once.
#pragma once

#include <cstdint>

#include "inference/runtime/loaded_model.h"
#include "options.h"

namespace parley::cli {

// Runs each stream count of --concurrency (e.g. "1,4,8") in turn; one report line (or, with
// --json, one JSON object per line) per count. Returns the process exit code.
int runConcurrencyBench(const Options& options, const runtime::LoadedModel& loaded, int threadCount,
                        int32_t genTokens);

}  // namespace parley::cli
