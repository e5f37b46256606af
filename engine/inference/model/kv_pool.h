// Storage of the paged KV cache: fixed-size blocks of `blockSize` token slots per layer, keys and
// values in f16. Which sequence owns which block (block tables, reference counts, prefix caching)
// is decided by engine/serving; this class only holds the bytes.
#pragma once

#include <cstdint>
#include <memory>

namespace parley::model {

class KvPool {
  public:
    KvPool(int32_t nLayer, int32_t kvDim, int32_t blockSize, int32_t numBlocks);

    // Bytes one block takes across all layers, keys and values.
    static int64_t bytesPerBlock(int32_t nLayer, int32_t kvDim, int32_t blockSize);

    int32_t blockSize() const { return blockSize_; }
    int32_t numBlocks() const { return numBlocks_; }
    int32_t kvDim() const { return kvDim_; }

    uint16_t* key(int32_t layer, int32_t block, int32_t slot) {
        return at(k_.get(), layer, block, slot);
    }
    uint16_t* value(int32_t layer, int32_t block, int32_t slot) {
        return at(v_.get(), layer, block, slot);
    }
    const uint16_t* key(int32_t layer, int32_t block, int32_t slot) const {
        return at(k_.get(), layer, block, slot);
    }
    const uint16_t* value(int32_t layer, int32_t block, int32_t slot) const {
        return at(v_.get(), layer, block, slot);
    }

    // Copy-on-write support: duplicates the first `slots` slots of block `from` into `to`.
    void copyBlock(int32_t from, int32_t to, int32_t slots);

  private:
    uint16_t* at(uint16_t* base, int32_t layer, int32_t block, int32_t slot) const {
        return base + ((int64_t(layer) * numBlocks_ + block) * blockSize_ + slot) * kvDim_;
    }

    int32_t nLayer_, kvDim_, blockSize_, numBlocks_;
    // Left uninitialised on purpose: pages are only touched (and count towards RSS) when used.
    std::unique_ptr<uint16_t[]> k_, v_;
};

}  // namespace parley::model
