#include "inference/model/architecture.h"

#include <array>

namespace parley::model {
namespace {

constexpr std::array kArchitectures = {
    ArchTraits{"llama", RopeStyle::Interleaved, FfnActivation::SiLU, false, false, false, false,
               false, 0.f},
    ArchTraits{"qwen2", RopeStyle::HalfSplit, FfnActivation::SiLU, false, false, false, false,
               false, 0.f},
    // Gemma 3: llama.cpp and HF use base 10000 on local layers when the file has no key for it.
    ArchTraits{"gemma3", RopeStyle::HalfSplit, FfnActivation::GeluTanh, true, true, true, true,
               true, 10000.f},
};

}  // namespace

std::optional<ArchTraits> archTraits(std::string_view architecture) {
    for (const auto& a : kArchitectures) {
        if (a.name == architecture)
            return a;
    }
    return std::nullopt;
}

}  // namespace parley::model
