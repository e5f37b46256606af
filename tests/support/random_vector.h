// Normally distributed test inputs with a fixed seed, for the element-wise and reduction tests.
#pragma once

#include <cstddef>
#include <random>
#include <vector>

namespace parley::test_support {

inline std::vector<float> randomVector(std::size_t n, unsigned seed, float scale = 1.0f) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> d(0.0f, scale);
    std::vector<float> v(n);
    for (auto& x : v)
        x = d(rng);
    return v;
}

}  // namespace parley::test_support
