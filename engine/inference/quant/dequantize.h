// Scalar reference decoding of every supported tensor type. These are the test oracle for the fast
// kernels in cpu/ and for the CUDA kernels: clarity over speed.
#pragma once

#include <cstdint>

#include "inference/quant/ggml_type.h"

namespace parley::quant {

float f16ToF32(uint16_t h);
uint16_t f32ToF16(float f);  // round to nearest even
float bf16ToF32(uint16_t b);
uint16_t f32ToBf16(float f);  // round to nearest even, NaN kept quiet

// Decodes `n` elements (a whole number of blocks) of `type` starting at `src`. Types whose
// computeSupported flag is false are not handled (the model loader refuses them first).
void dequantizeRow(GgmlType type, const void* src, float* dst, int64_t n);

// Sub-block j (0..7) of a Q4_K/Q5_K super-block: its 6-bit scale and min, unpacked from the
// 12-byte `scales` field.
struct KQuantScale {
    int scale;
    int min;
};
KQuantScale kQuantScaleMin(const uint8_t* scales, int j);

}  // namespace parley::quant
