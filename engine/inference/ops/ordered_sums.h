// Long sums of products evaluated in one fixed association order, whatever the instruction set:
// term i goes to partial sum i % lanes (each a chain of fused multiply-adds), and the partial sums
// are then added pairwise, halving the lane count each step. The two orders are those of the
// reference implementation's CPU f16 products in attention (llama.cpp): 16 lanes in its batched
// kernel (several tokens), 4 x 16 lanes in its one-token kernel. Using them, our attention rounds
// exactly like the reference, which keeps the two engines' logits apart by float noise instead
// of letting last-bit differences grow through the layers.
#pragma once

#include <cstdint>

namespace parley::ops {

// Sum of 16 values combined pairwise like 16 lanes: (l, l+8), (l, l+4), (0, 2) and (1, 3), (0, 1).
float sum16(const float* v);

enum class LaneOrder {
    Lanes16,  // partial sums over i % 16; combined (l, l+8), then (l, l+4), (l, l+2), (l, l+1)
    Lanes64,  // partial sums over i % 64; combined (l, l+32), (l, l+16), then as Lanes16; a tail
              // of n % 64 terms is added one by one in double
};

constexpr int laneCount(LaneOrder order) {
    return order == LaneOrder::Lanes16 ? 16 : 64;
}

// sum of a[i] * b[i] in `order` (Lanes16 needs n % 16 == 0).
float orderedDot(const float* a, const float* b, int64_t n, LaneOrder order);

// out[i] = the lane partial sums lanes[l * laneStride + i] (l < laneCount(order)) combined in
// `order`'s pairwise steps; `lanes` is used as scratch.
void combineLanes(float* lanes, int64_t laneStride, int64_t n, LaneOrder order, float* out);

}  // namespace parley::ops
