#include "inference/quant/ggml_type.h"

#include <array>

namespace parley::quant {
namespace {

constexpr uint32_t kQK = 32;
constexpr uint32_t kQKK = 256;

// Geometry from ggml-common.h's block structs. Types ggml has removed or that only serve as
// activation formats are listed so a file naming them gets a precise "unsupported" message.
constexpr std::array kTraits = {
    TypeTraits{GgmlType::F32, "F32", 1, 4, true},
    TypeTraits{GgmlType::F16, "F16", 1, 2, true},
    TypeTraits{GgmlType::Q4_0, "Q4_0", kQK, 18, true},
    TypeTraits{GgmlType::Q4_1, "Q4_1", kQK, 20, true},
    TypeTraits{GgmlType::Q5_0, "Q5_0", kQK, 22, true},
    TypeTraits{GgmlType::Q5_1, "Q5_1", kQK, 24, true},
    TypeTraits{GgmlType::Q8_0, "Q8_0", kQK, 34, true},
    TypeTraits{GgmlType::Q8_1, "Q8_1", kQK, 36, false},
    TypeTraits{GgmlType::Q2_K, "Q2_K", kQKK, 84, false},
    TypeTraits{GgmlType::Q3_K, "Q3_K", kQKK, 110, false},
    TypeTraits{GgmlType::Q4_K, "Q4_K", kQKK, 144, true},
    TypeTraits{GgmlType::Q5_K, "Q5_K", kQKK, 176, true},
    TypeTraits{GgmlType::Q6_K, "Q6_K", kQKK, 210, true},
    TypeTraits{GgmlType::Q8_K, "Q8_K", kQKK, 292, false},
    TypeTraits{GgmlType::IQ2_XXS, "IQ2_XXS", kQKK, 66, false},
    TypeTraits{GgmlType::IQ2_XS, "IQ2_XS", kQKK, 74, false},
    TypeTraits{GgmlType::IQ3_XXS, "IQ3_XXS", kQKK, 98, false},
    TypeTraits{GgmlType::IQ1_S, "IQ1_S", kQKK, 50, false},
    TypeTraits{GgmlType::IQ4_NL, "IQ4_NL", kQK, 18, false},
    TypeTraits{GgmlType::IQ3_S, "IQ3_S", kQKK, 110, false},
    TypeTraits{GgmlType::IQ2_S, "IQ2_S", kQKK, 82, false},
    TypeTraits{GgmlType::IQ4_XS, "IQ4_XS", kQKK, 136, false},
    TypeTraits{GgmlType::I8, "I8", 1, 1, false},
    TypeTraits{GgmlType::I16, "I16", 1, 2, false},
    TypeTraits{GgmlType::I32, "I32", 1, 4, false},
    TypeTraits{GgmlType::I64, "I64", 1, 8, false},
    TypeTraits{GgmlType::F64, "F64", 1, 8, false},
    TypeTraits{GgmlType::IQ1_M, "IQ1_M", kQKK, 56, false},
    TypeTraits{GgmlType::BF16, "BF16", 1, 2, true},
    TypeTraits{GgmlType::TQ1_0, "TQ1_0", kQKK, 54, false},
    TypeTraits{GgmlType::TQ2_0, "TQ2_0", kQKK, 66, false},
    TypeTraits{GgmlType::MXFP4, "MXFP4", kQK, 17, false},
};

}  // namespace

std::optional<TypeTraits> typeTraits(uint32_t typeId) {
    for (const auto& t : kTraits) {
        if (static_cast<uint32_t>(t.type) == typeId)
            return t;
    }
    return std::nullopt;
}

const TypeTraits& typeTraits(GgmlType type) {
    for (const auto& t : kTraits) {
        if (t.type == type)
            return t;
    }
    return kTraits[0];  // unreachable: every enumerator has a row
}

std::optional<uint64_t> rowBytes(GgmlType type, uint64_t elements) {
    const auto& t = typeTraits(type);
    uint64_t bytes = 0;
    if (elements % t.blockElements != 0 ||
        __builtin_mul_overflow(elements / t.blockElements, uint64_t{t.blockBytes}, &bytes)) {
        return std::nullopt;
    }
    return bytes;
}

}  // namespace parley::quant
