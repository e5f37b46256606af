// What distinguishes the decoder architectures Parley runs. Each architecture is one row of a table
// (architecture.cpp); the forward pass reads flags from its row instead of branching on names.
#pragma once

#include <optional>
#include <string_view>

namespace parley::model {

enum class RopeStyle {
    Interleaved,  // pairs (x[2i], x[2i+1]): llama (converter permutes q/k rows)
    HalfSplit,    // pairs (x[i], x[i + n/2]): "neox", qwen2, gemma
};

enum class FfnActivation { SiLU, GeluTanh };

struct ArchTraits {
    std::string_view name;  // general.architecture
    RopeStyle rope;
    FfnActivation activation;
    bool qkNorm;           // per-head RMSNorm on q and k before RoPE
    bool postNorms;        // RMSNorm on attention and FFN outputs before the residual add
    bool scaleEmbeddings;  // x = E[token] * sqrt(n_embd)
    bool slidingWindow;    // local layers attend to a window (pattern from hparams)
    bool scaleQueries;     // 1/sqrt(head size) multiplies q before its f16 rounding, not the scores
    float swaRopeBase;  // RoPE base of local layers when the file does not say (0: same as global)
};

// nullopt for architectures Parley cannot run.
std::optional<ArchTraits> archTraits(std::string_view architecture);

}  // namespace parley::model
