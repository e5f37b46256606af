// The CPU implementation of ComputeBackend: model::Model's forward pass over a host KvPool.
#pragma once

#include "inference/backend/compute_backend.h"
#include "inference/cpu/thread_pool.h"

namespace parley::backend {

class CpuBackend final : public ComputeBackend {
  public:
    CpuBackend(const model::Model& model, const BackendOptions& options);

    BackendKind kind() const override { return BackendKind::Cpu; }
    Status forward(std::span<const model::SequenceStep> batch, model::ForwardOutput& out) override;
    Status copyKvBlock(int32_t from, int32_t to, int32_t slots) override;

  private:
    const model::Model& model_;
    model::KvPool kv_;
    cpu::ThreadPool pool_;
    model::ForwardWorkspace workspace_;
};

}  // namespace parley::backend
