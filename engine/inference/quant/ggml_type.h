// The ggml tensor types a GGUF file may declare, and their block geometry.
// One table (ggml_type.cpp) holds every type's facts; code looks them up instead of branching.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace parley::quant {

// Values are the on-disk ids from ggml.h; they must never be renumbered.
enum class GgmlType : uint32_t {
    F32 = 0,
    F16 = 1,
    Q4_0 = 2,
    Q4_1 = 3,
    Q5_0 = 6,
    Q5_1 = 7,
    Q8_0 = 8,
    Q8_1 = 9,
    Q2_K = 10,
    Q3_K = 11,
    Q4_K = 12,
    Q5_K = 13,
    Q6_K = 14,
    Q8_K = 15,
    IQ2_XXS = 16,
    IQ2_XS = 17,
    IQ3_XXS = 18,
    IQ1_S = 19,
    IQ4_NL = 20,
    IQ3_S = 21,
    IQ2_S = 22,
    IQ4_XS = 23,
    I8 = 24,
    I16 = 25,
    I32 = 26,
    I64 = 27,
    F64 = 28,
    IQ1_M = 29,
    BF16 = 30,
    TQ1_0 = 34,
    TQ2_0 = 35,
    MXFP4 = 39,
};

struct TypeTraits {
    GgmlType type;
    std::string_view name;
    uint32_t blockElements;  // elements per block along ne[0]
    uint32_t blockBytes;     // bytes per block
    bool computeSupported;   // the engine can compute with tensors of this type
};

// Traits of a type id read from a file; nullopt for ids ggml does not define.
std::optional<TypeTraits> typeTraits(uint32_t typeId);
const TypeTraits& typeTraits(GgmlType type);

// Bytes of one row of `elements` values; nullopt when `elements` is not a whole number of blocks
// or the size does not fit in 64 bits.
std::optional<uint64_t> rowBytes(GgmlType type, uint64_t elements);

}  // namespace parley::quant
