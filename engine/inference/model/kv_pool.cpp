#include "inference/model/kv_pool.h"

#include <cstring>

namespace parley::model {

KvPool::KvPool(int32_t nLayer, int32_t kvDim, int32_t blockSize, int32_t numBlocks)
    : nLayer_(nLayer), kvDim_(kvDim), blockSize_(blockSize), numBlocks_(numBlocks) {
    const int64_t elements = int64_t(nLayer) * numBlocks * blockSize * kvDim;
    k_.reset(new uint16_t[elements]);
    v_.reset(new uint16_t[elements]);
}

int64_t KvPool::bytesPerBlock(int32_t nLayer, int32_t kvDim, int32_t blockSize) {
    return 2 * int64_t(nLayer) * blockSize * kvDim * int64_t(sizeof(uint16_t));
}

void KvPool::copyBlock(int32_t from, int32_t to, int32_t slots) {
    const std::size_t bytes = std::size_t(slots) * kvDim_ * sizeof(uint16_t);
    for (int32_t layer = 0; layer < nLayer_; ++layer) {
        std::memcpy(key(layer, to, 0), key(layer, from, 0), bytes);
        std::memcpy(value(layer, to, 0), value(layer, from, 0), bytes);
    }
}

}  // namespace parley::model
