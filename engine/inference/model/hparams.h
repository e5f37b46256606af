// Hyperparameters of a decoder model, read from `{arch}.*` GGUF keys with llama.cpp's defaults.
#pragma once

#include <cstdint>
#include <vector>

#include "common/result.h"
#include "inference/gguf/gguf_file.h"
#include "inference/model/architecture.h"

namespace parley::model {

struct Hparams {
    ArchTraits arch{};
    int32_t nLayer = 0;
    int32_t nEmbd = 0;
    int32_t nHead = 0;
    int32_t nHeadKv = 0;
    int32_t headDim = 0;  // key/value head size (Gemma: 256, not nEmbd / nHead)
    int32_t nRot = 0;     // rotary dimensions
    int32_t nFf = 0;
    int32_t nVocab = 0;
    int32_t nCtxTrain = 0;
    float rmsEps = 1e-5f;
    float ropeBase = 10000.f;
    float ropeBaseSwa = 10000.f;
    float attentionScale = 0.f;    // multiplies q.k
    int32_t slidingWindow = 0;     // 0: none
    std::vector<bool> layerIsSwa;  // per layer: attends only to the last slidingWindow positions

    int32_t qDim() const { return nHead * headDim; }
    int32_t kvDim() const { return nHeadKv * headDim; }
};

Result<Hparams> readHparams(const gguf::GgufFile& file);

}  // namespace parley::model
