// The forward pass of one loaded model on one kind of hardware, with its own KV storage, behind one
// interface: the engine loop drives the CPU and the CUDA backend the same way (batches of
// model::SequenceStep with block tables into the backend's KV pool).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "common/result.h"
#include "inference/model/model.h"

namespace parley::backend {

enum class BackendKind { Cpu, Cuda };
enum class BackendChoice { Cpu, Cuda, Auto };  // Auto: CUDA when a usable device is present

std::optional<BackendChoice> parseBackendChoice(std::string_view text);  // "cpu", "cuda", "auto"
const char* backendName(BackendKind kind);

class ComputeBackend {
  public:
    virtual ~ComputeBackend() = default;

    virtual BackendKind kind() const = 0;
    // As model::Model::forward: the batch's K and V are written through its block tables into
    // this backend's KV pool, and the requested logits rows come back in out.
    virtual Status forward(std::span<const model::SequenceStep> batch,
                           model::ForwardOutput& out) = 0;
    // Copy-on-write of a shared prefix block.
    virtual Status copyKvBlock(int32_t from, int32_t to, int32_t slots) = 0;
};

struct BackendOptions {
    int32_t kvBlocks = 1024;       // KV pool size in blocks of 16 tokens
    int32_t maxBatchTokens = 512;  // most tokens in one forward call (device buffers)
    int32_t cpuThreads = 0;        // <= 0: one per core
    std::string cudaPluginPath;    // libparley_cuda.so
};

// The backend for `choice`. With Auto, falls back to the CPU when the plug-in is missing or finds
// no usable device, and says why in *fallbackReason (when given).
Result<std::unique_ptr<ComputeBackend>> makeBackend(BackendChoice choice, const model::Model& model,
                                                    const BackendOptions& options,
                                                    std::string* fallbackReason = nullptr);

}  // namespace parley::backend
