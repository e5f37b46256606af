// The tensors of a decoder model, bound by name from the GGUF file and checked against the
// hyperparameters. Matrices stay in the memory-mapped file, except those the CPU kernels read
// interleaved (cpu/interleaved_weights.h), which are copied once and their mapped pages dropped;
// small vectors (norms, biases) are decoded to f32 once.
#pragma once

#include <vector>

#include "common/result.h"
#include "inference/cpu/interleaved_weights.h"
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
    std::vector<cpu::InterleavedCopy>
        interleavedCopies;  // what the matrices' `interleaved` point to
};

// `interleave`: give the Q4_1 / Q8_0 matrices their interleaved copy (the default where the CPU
// kernels read it). Their `data` still points into the file, for readers of the GGUF layout.
Result<Weights> bindWeights(const gguf::GgufFile& file, const Hparams& hp,
                            bool interleave = cpu::detectedIsa() == cpu::Isa::Avx512Vnni);

}  // namespace parley::model
