#include "inference/cpu/interleaved_weights.h"

#include <cstring>

#include "inference/quant/ggml_type.h"

namespace parley::cpu {
namespace {

using quant::GgmlType;

constexpr int kLaneBytes = 4;
constexpr int kLineBytes = kLaneBytes * kInterleavedRows;

// Where each field of a GGUF block sits, and how many quant bytes it has.
struct BlockFields {
    int blockBytes;  // GGUF block
    int quantOffset;
    int quantBytes;      // Q4_1: 16 bytes of nibble pairs; Q8_0: 32 signed quants
    int scaleFields;     // fp16 values before the quants: d (and m)
    uint32_t storedXor;  // per byte of a lane
};

BlockFields fieldsOf(GgmlType type) {
    if (type == GgmlType::Q4_1)
        return {20, 4, 16, 2, 0x00000000};
    // Q8_0: stored as q + 128 (unsigned), what vpdpbusd's unsigned operand needs.
    return {34, 2, 32, 1, 0x80808080};
}

// 4 quant bytes (one lane) from `from` to `to`, toggling the stored offset.
void copyLane(const uint8_t* from, uint8_t* to, uint32_t storedXor) {
    uint32_t lane = 0;
    std::memcpy(&lane, from, sizeof lane);
    lane ^= storedXor;
    std::memcpy(to, &lane, sizeof lane);
}

// Row r of a 16-row group back to its GGUF blocks.
void rowOfGroup(GgmlType type, int64_t cols, const uint8_t* group, int r, uint8_t* out) {
    const BlockFields f = fieldsOf(type);
    for (int64_t b = 0; b < cols / 32; ++b) {
        const uint8_t* in = group + b * f.blockBytes * kInterleavedRows;
        const uint8_t* scales = in + f.quantBytes * kInterleavedRows;
        uint8_t* block = out + b * f.blockBytes;
        for (int k = 0; k < f.quantBytes / kLaneBytes; ++k)
            copyLane(in + k * kLineBytes + r * kLaneBytes, block + f.quantOffset + k * kLaneBytes,
                     f.storedXor);
        for (int s = 0; s < f.scaleFields; ++s)
            std::memcpy(block + 2 * s, scales + (s * kInterleavedRows + r) * 2, 2);
    }
}

}  // namespace

bool interleavable(const WeightMatrix& w) {
    return (w.type == GgmlType::Q4_1 || w.type == GgmlType::Q8_0) && w.rows > 0 &&
           w.rows % kInterleavedRows == 0 && w.cols % 32 == 0 &&
           w.rowBytes == static_cast<std::size_t>(w.cols / 32 * fieldsOf(w.type).blockBytes);
}

std::size_t interleavedBlockBytes(GgmlType type) {
    return static_cast<std::size_t>(fieldsOf(type).blockBytes) * kInterleavedRows;
}

InterleavedCopy allocateInterleaved(const WeightMatrix& w) {
    if (!interleavable(w))
        return nullptr;
    const std::size_t bytes = w.rowBytes * static_cast<std::size_t>(w.rows);
    return InterleavedCopy(static_cast<uint8_t*>(::operator new(bytes, kInterleavedAlignment)));
}

void interleaveRows(const WeightMatrix& w, uint8_t* copy, int64_t rowBegin, int64_t rowEnd) {
    const BlockFields f = fieldsOf(w.type);
    const auto* src = static_cast<const uint8_t*>(w.data);
    const int64_t blocks = w.cols / 32;
    for (int64_t g = rowBegin / kInterleavedRows; g < rowEnd / kInterleavedRows; ++g) {
        uint8_t* group = copy + g * kInterleavedRows * w.rowBytes;
        for (int64_t b = 0; b < blocks; ++b) {
            uint8_t* out = group + b * interleavedBlockBytes(w.type);
            uint8_t* scales = out + f.quantBytes * kInterleavedRows;
            for (int r = 0; r < kInterleavedRows; ++r) {
                const uint8_t* block =
                    src + (g * kInterleavedRows + r) * w.rowBytes + b * f.blockBytes;
                for (int k = 0; k < f.quantBytes / kLaneBytes; ++k)
                    copyLane(block + f.quantOffset + k * kLaneBytes,
                             out + k * kLineBytes + r * kLaneBytes, f.storedXor);
                for (int s = 0; s < f.scaleFields; ++s)
                    std::memcpy(scales + (s * kInterleavedRows + r) * 2, block + 2 * s, 2);
            }
        }
    }
}

InterleavedCopy interleave(WeightMatrix& w) {
    InterleavedCopy copy = allocateInterleaved(w);
    if (copy != nullptr) {
        interleaveRows(w, copy.get(), 0, w.rows);
        w.interleaved = copy.get();
    }
    return copy;
}

void deinterleaveGroup(GgmlType type, int64_t cols, const uint8_t* group, uint8_t* rows) {
    const std::size_t rowBytes = static_cast<std::size_t>(cols / 32 * fieldsOf(type).blockBytes);
    for (int r = 0; r < kInterleavedRows; ++r)
        rowOfGroup(type, cols, group, r, rows + r * rowBytes);
}

void deinterleaveRow(const WeightMatrix& w, int64_t row, uint8_t* out) {
    const auto* group = static_cast<const uint8_t*>(w.interleaved) +
                        (row / kInterleavedRows) * kInterleavedRows * w.rowBytes;
    rowOfGroup(w.type, w.cols, group, static_cast<int>(row % kInterleavedRows), out);
}

}  // namespace parley::cpu
