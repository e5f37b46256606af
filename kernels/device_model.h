// A decoder model resident on the device: its weights (uploaded once from host memory, normally
// the GGUF mmap), the paged KV pool with model::KvPool's layout, the activations of the largest
// batch, and the forward pass as a sequence of kernels on one stream. Decode steps (one new token
// per sequence, at most 64 sequences) are captured once per (batch bucket, context split count)
// as a CUDA graph and replayed.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <utility>
#include <vector>

#include "cuda_plugin_abi.h"
#include "device_buffer.h"
#include "device_kernels.h"

namespace parley::cuda {

struct DeviceLayer {
    const float *attnNorm = nullptr, *qNorm = nullptr, *kNorm = nullptr, *postAttnNorm = nullptr,
                *ffnNorm = nullptr, *postFfnNorm = nullptr;
    const float *bq = nullptr, *bk = nullptr, *bv = nullptr, *bo = nullptr;
    DeviceWeight wq, wk, wv, wo, ffnGate, ffnUp, ffnDown;
    bool isSwa = false;
};

class DeviceModel {
  public:
    static DeviceError create(const ParleyCudaModelDesc& desc, std::unique_ptr<DeviceModel>& out);
    ~DeviceModel();

    // Logits rows (as model::Model::forward orders them) copied into hostLogits.
    DeviceError forward(const ParleyCudaSequence* batch, int32_t n, float* hostLogits,
                        int64_t capacity);
    // One token per sequence sampled on the device.
    DeviceError forwardSample(const ParleyCudaSequence* batch, int32_t n,
                              const ParleySamplingDesc* sampling, int32_t* tokens);
    DeviceError copyKvBlock(int32_t from, int32_t to, int32_t slots);

  private:
    struct Graph {
        cudaGraphExec_t exec = nullptr;
    };

    DeviceModel() = default;
    DeviceError upload(const ParleyCudaModelDesc& desc);
    DeviceError allocate();
    // Lays the batch out on the host, checks it, and copies the row metadata to the device. On
    // return rows_ / logitRows_ describe the (possibly bucket-padded) batch.
    DeviceError prepare(const ParleyCudaSequence* batch, int32_t n, bool allowGraph);
    DeviceError enqueueForward();
    DeviceError runForward();
    void dropGraphs();

    ParleyCudaModelDesc desc_{};
    std::vector<DeviceLayer> layers_;
    DeviceWeight tokenEmbedding_, output_;
    const float* outputNorm_ = nullptr;
    DeviceBuffer weights_;

    DeviceBuffer keys_, values_;  // nLayer * kvBlocks * blockSize * kvDim halves each
    DeviceBuffer x_, xn_, q_, k_, v_, attn_, proj_, gate_, up_, logits_, xHalf_, tile_;
    DeviceBuffer partials_;
    DeviceBuffer tokens_, positions_, tableOffsets_, blockTables_, logitSource_, sampled_;
    DeviceBuffer recent_, recentCounts_;
    DeviceBuffer tileFirstRows_, tileCounts_;  // prefill attention tiles
    int64_t tileHalves_ = 0;

    // The current batch, host side.
    std::vector<int32_t> hostTokens_, hostPositions_, hostTableOffsets_, hostBlockTables_,
        hostLogitSource_, hostTileFirstRows_, hostTileCounts_;
    int32_t rows_ = 0, logitRows_ = 0, realRows_ = 0, maxSplits_ = 1;
    bool graphable_ = false;
    bool prefillTiles_ = false;  // some sequence brings several tokens: tiled attention

    cudaStream_t stream_ = nullptr;
    cublasHandle_t cublas_ = nullptr;
    std::map<std::pair<int32_t, int32_t>, Graph> graphs_;  // (rows, splits) -> graph
};

}  // namespace parley::cuda
