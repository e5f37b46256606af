// The tensors of a decoder model, bound by name from the GGUF file and checked against the
// hyperparameters. Matrices stay in the memory-mapped file; small vectors (norms, biases) are
// decoded to f32 once.
#pragma once

#include <vector>

#include "common/result.h"
#include "inference/cpu/matmul.h"
#include "inference/gguf/gguf_file.h"
#include "inference/model/hparams.h"

namespace parley::model {

struct LayerWeights {
    std::vector<float> attnNorm, qNorm, kNorm, postAttnNorm, ffnNorm, postFfnNorm;
    std::vector<float> bq, bk, bv, bo;  // empty when the model has no such bias
    cpu::WeightMatrix wq, wk, wv, wo, ffnGate, ffnUp, ffnDown;
};

struct Weights {
    cpu::WeightMatrix tokenEmbedding;
    cpu::WeightMatrix output;  // the token embedding when tied
    std::vector<float> outputNorm;
    std::vector<LayerWeights> layers;
};

Result<Weights> bindWeights(const gguf::GgufFile& file, const Hparams& hp);

}  // namespace parley::model
