// e^x as a range reduction by ln 2 and a degree-5 polynomial, evaluated with the same fused
// operations as the reference implementation's vectorised softmax and SiLU (llama.cpp's AVX-512
// `ggml_v_expf`), so both engines get the same float for the same input. std::exp differs from it
// in the last bit for about one input in three, and in attention a last-bit difference moves an
// f16-rounded probability: those differences grow through the layers into ~0.1 logit.
#pragma once

#include <cstdint>

namespace parley::ops {

float polynomialExp(float x);

// out[i] = polynomialExp(x[i] - shift) (out may alias x); -inf inputs give 0.
void polynomialExpShifted(const float* x, float shift, int64_t n, float* out);

}  // namespace parley::ops
