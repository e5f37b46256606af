// `parley-cli bench --shared-prefix FILE` and `--interfere FILE`: issue #4's two latency
// scenarios through the serving engine (no HTTP), with the conversations that
// tests/bench/serving/run_serving_bench.py sends llama-server.
#pragma once

#include <cstdint>

#include "inference/runtime/loaded_model.h"
#include "options.h"

namespace parley::cli {

// A follow-up turn whose prompt starts with FILE's text (the previous turn): time to first token
// cold (empty prefix cache), for the first turn, and warm (after the first turn). One JSON line.
int runSharedPrefixBench(const Options& options, const runtime::LoadedModel& loaded,
                         int threadCount);

// --streams short chats decode gen-tokens each; once every stream has 16 tokens, a prompt made of
// FILE's text arrives. Inter-token latency percentiles of the streams before it and while it is
// prefilled (until its first token); with --control also over the same token indices of a rerun
// without the long prompt (the streams' own contexts grow meanwhile). One JSON line.
int runInterferenceBench(const Options& options, const runtime::LoadedModel& loaded,
                         int threadCount, int32_t genTokens);

}  // namespace parley::cli
