#include "inference/backend/cpu_backend.h"

#include <string>

namespace parley::backend {

CpuBackend::CpuBackend(const model::Model& model, const BackendOptions& options)
    : model_(model), kv_(model.makeKvPool(options.kvBlocks)), pool_(options.cpuThreads) {}

Status CpuBackend::forward(std::span<const model::SequenceStep> batch, model::ForwardOutput& out) {
    return model_.forward(batch, kv_, pool_, workspace_, out);
}

Status CpuBackend::copyKvBlock(int32_t from, int32_t to, int32_t slots) {
    if (from < 0 || to < 0 || from >= kv_.numBlocks() || to >= kv_.numBlocks() || slots < 0 ||
        slots > kv_.blockSize())
        return makeError("KV block copy " + std::to_string(from) + " -> " + std::to_string(to) +
                         " out of range");
    kv_.copyBlock(from, to, slots);
    return Ok{};
}

}  // namespace parley::backend
