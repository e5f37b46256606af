// The CUDA implementation of ComputeBackend: the model's weights, KV pool and forward pass live on
// the device, behind the plug-in's C function table.
#pragma once

#include <memory>
#include <span>
#include <vector>

#include "inference/backend/compute_backend.h"
#include "inference/backend/cuda_plugin.h"
#include "inference/model/weights.h"
#include "inference/sampling/sampler.h"

namespace parley::backend {

class CudaBackend final : public ComputeBackend {
  public:
    // Uploads the model's weights once (from the file's mmap) and allocates the device KV pool.
    static Result<std::unique_ptr<CudaBackend>> create(std::shared_ptr<const CudaPlugin> plugin,
                                                       const model::Model& model,
                                                       const BackendOptions& options);
    ~CudaBackend() override;

    BackendKind kind() const override { return BackendKind::Cuda; }
    Status forward(std::span<const model::SequenceStep> batch, model::ForwardOutput& out) override;
    Status copyKvBlock(int32_t from, int32_t to, int32_t slots) override;

    // The forward pass with one token per sequence sampled on the device: only ids come back.
    // recent[s] is sequence s's penalty window; drawIndex[s] numbers its draws from params' seed.
    Status forwardSample(std::span<const model::SequenceStep> batch,
                         std::span<const sampling::SamplingParams> params,
                         std::span<const std::span<const int32_t>> recent,
                         std::span<const uint64_t> drawIndex, std::span<int32_t> tokens);

  private:
    CudaBackend(std::shared_ptr<const CudaPlugin> plugin, ParleyCudaModel* handle, int32_t nVocab)
        : plugin_(std::move(plugin)), handle_(handle), nVocab_(nVocab) {}
    void describeBatch(std::span<const model::SequenceStep> batch);

    std::shared_ptr<const CudaPlugin> plugin_;
    ParleyCudaModel* handle_;
    int32_t nVocab_;
    std::vector<ParleyCudaSequence> sequences_;
};

}  // namespace parley::backend
