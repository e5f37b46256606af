// Weights repacked once at load into the layout the AVX-512 VNNI kernels compute from, so a
// matmul no longer rebuilds it on every call. Per group of 16 rows and per 32-element block, the
// rows' quants are interleaved so that dword lane r of each 64-byte line belongs to row r (Q4_1:
// 4 lines of packed nibbles, line k lane r = bytes 4k..4k+3 of row r's nibbles, so AND 0x0F and
// shift-4 give the 8 quant lines; Q8_0: 8 lines of quants + 128), followed by the 16 rows' fp16
// d (and Q4_1's 16 fp16 m). The same bytes as the GGUF rows, groups one after another.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>

#include "inference/cpu/matmul.h"

namespace parley::cpu {

// Lines are 64 bytes: the copy is aligned to them.
inline constexpr std::align_val_t kInterleavedAlignment{64};
struct FreeAligned {
    void operator()(uint8_t* p) const { ::operator delete(p, kInterleavedAlignment); }
};
// An interleaved copy; the matrix pointing at it must not outlive it.
using InterleavedCopy = std::unique_ptr<uint8_t[], FreeAligned>;

constexpr int64_t kInterleavedRows = 16;

// Whether w can be interleaved: Q4_1 or Q8_0 with a multiple of 16 rows.
bool interleavable(const WeightMatrix& w);

// Bytes of one 32-element block of a 16-row group (16 * the GGUF block size).
std::size_t interleavedBlockBytes(quant::GgmlType type);

// Copies w into the interleaved layout (64-byte aligned) and points w.interleaved at it; w.data
// keeps the GGUF rows for readers of the file's layout. nullptr (w unchanged) when not
// interleavable.
InterleavedCopy interleave(WeightMatrix& w);

// The same in steps, so a loader can drop the source pages of each step before the next (a large
// embedding would otherwise be in memory twice): the uninitialised copy (nullptr when not
// interleavable), then rows [rowBegin, rowEnd) (multiples of 16) of it from w.data.
InterleavedCopy allocateInterleaved(const WeightMatrix& w);
void interleaveRows(const WeightMatrix& w, uint8_t* copy, int64_t rowBegin, int64_t rowEnd);

// The 16 GGUF rows of the group starting at `group` (cols / 32 blocks of `type`) into `rows`
// (16 * row bytes).
void deinterleaveGroup(quant::GgmlType type, int64_t cols, const uint8_t* group, uint8_t* rows);

// Row `row` of an interleaved matrix as its GGUF bytes (w.rowBytes) into `out`.
void deinterleaveRow(const WeightMatrix& w, int64_t row, uint8_t* out);

}  // namespace parley::cpu
