// Element-wise and reduction kernels of the forward pass that are not matrix products: norms,
// rotary embeddings, activations, f16 rows of the KV cache, attention row kernels. Each has a
// scalar version; the f16 conversions and row kernels also an AVX2+F16C one, picked once at run
// time.
#pragma once

#include <cstdint>

#include "inference/model/architecture.h"

namespace parley::ops {

// out = x / sqrt(mean(x^2) + eps) * w   (out may alias x)
void rmsNorm(const float* x, const float* w, int64_t n, float eps, float* out);

// Rotates the first nRot dimensions of each of nHeads heads of `x` (head size headDim) for a
// token at `position`: pair i by the angle position * thetaScale^i (thetaScale = base^(-2/nRot)).
void rope(float* x, int32_t nHeads, int32_t headDim, int32_t nRot, int32_t position,
          float thetaScale, model::RopeStyle style);

// gate[i] = act(gate[i]) * up[i]
void gatedActivation(float* gate, const float* up, int64_t n, model::FfnActivation act);

void add(float* y, const float* x, int64_t n);  // y += x
void scale(float* y, float s, int64_t n);       // y *= s

// f16 rows of the KV cache <-> f32.
void toF16(const float* x, uint16_t* out, int64_t n);
void fromF16(const uint16_t* x, float* out, int64_t n);
// out[i] = x[i] rounded to the nearest f16 value (out may alias x).
void roundToF16(const float* x, float* out, int64_t n);

}  // namespace parley::ops
