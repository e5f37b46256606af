#include <QtTest>

#include <array>
#include <bit>
#include <cmath>
#include <cstring>
#include <vector>

#include "inference/quant/dequantize.h"

using parley::quant::bf16ToF32;
using parley::quant::dequantizeRow;
using parley::quant::f16ToF32;
using parley::quant::f32ToBf16;
using parley::quant::f32ToF16;
using parley::quant::GgmlType;

namespace {

// Blocks are packed here from integer quants following ENGINE_FACTS §2.2, the inverse direction
// of the decoder, and the expected values come straight from the quants. Scales are powers of
// two so every expected value is exact.

void putF16(std::vector<uint8_t>& b, size_t at, float v) {
    const uint16_t h = f32ToF16(v);
    b[at] = static_cast<uint8_t>(h & 0xFF);
    b[at + 1] = static_cast<uint8_t>(h >> 8);
}

// Nibbles of 32 quants: qs[j] holds element j (low) and j+16 (high).
void putNibbles32(std::vector<uint8_t>& b, size_t at, const std::array<int, 32>& q) {
    for (int j = 0; j < 16; ++j)
        b[at + j] = static_cast<uint8_t>((q[j] & 0xF) | ((q[j + 16] & 0xF) << 4));
}

void putHighBits32(std::vector<uint8_t>& b, size_t at, const std::array<int, 32>& q) {
    uint32_t qh = 0;
    for (int j = 0; j < 32; ++j)
        qh |= uint32_t((q[j] >> 4) & 1) << j;
    for (int i = 0; i < 4; ++i)
        b[at + i] = static_cast<uint8_t>(qh >> (8 * i));
}

std::vector<float> decode(GgmlType type, const std::vector<uint8_t>& bytes, int n) {
    std::vector<float> out(static_cast<size_t>(n), -12345.0f);
    dequantizeRow(type, bytes.data(), out.data(), n);
    return out;
}

std::array<int, 32> quants32(int bits, int seed) {
    std::array<int, 32> q{};
    for (int j = 0; j < 32; ++j)
        q[j] = (j * 7 + seed * 3 + j / 5) % (1 << bits);
    q[0] = 0;
    q[31] = (1 << bits) - 1;  // extremes, including the top (sign/high) bit
    return q;
}

// Q4_K/Q5_K scales: bytes 0-3 scales 0-3 (low 6 bits), 4-7 mins 0-3, 8-11 low nibbles of
// scale 4-7 | min 4-7 << 4, and the top two bits of bytes 0-7 carry the high bits of 4-7.
std::array<uint8_t, 12> packKScales(const std::array<int, 8>& sc, const std::array<int, 8>& mn) {
    std::array<uint8_t, 12> s{};
    for (int j = 0; j < 4; ++j) {
        s[j] = static_cast<uint8_t>((sc[j] & 63) | ((sc[j + 4] >> 4) << 6));
        s[j + 4] = static_cast<uint8_t>((mn[j] & 63) | ((mn[j + 4] >> 4) << 6));
        s[j + 8] = static_cast<uint8_t>((sc[j + 4] & 0xF) | ((mn[j + 4] & 0xF) << 4));
    }
    return s;
}

const std::array<int, 8> kScales = {1, 63, 17, 32, 5, 48, 63, 33};  // 4..7 use the high bits
const std::array<int, 8> kMins = {0, 7, 63, 20, 62, 16, 1, 47};

}  // namespace

class TestDequantize : public QObject {
    Q_OBJECT
  private slots:
    void f16KnownValues() {
        QCOMPARE(f32ToF16(1.0f), uint16_t{0x3C00});
        QCOMPARE(f32ToF16(-2.0f), uint16_t{0xC000});
        QCOMPARE(f32ToF16(0.0f), uint16_t{0x0000});
        QCOMPARE(f32ToF16(-0.0f), uint16_t{0x8000});
        QCOMPARE(f32ToF16(65504.0f), uint16_t{0x7BFF});
        QCOMPARE(f32ToF16(65519.0f), uint16_t{0x7BFF});
        QCOMPARE(f32ToF16(65520.0f), uint16_t{0x7C00});  // halfway to 2^16 rounds to even: inf
        QCOMPARE(f32ToF16(1e10f), uint16_t{0x7C00});
        QCOMPARE(f32ToF16(-INFINITY), uint16_t{0xFC00});
        QCOMPARE(f32ToF16(std::ldexp(1.0f, -24)), uint16_t{0x0001});         // smallest subnormal
        QCOMPARE(f32ToF16(std::ldexp(1.0f, -25)), uint16_t{0x0000});         // tie to even (0)
        QCOMPARE(f32ToF16(std::ldexp(3.0f, -25)), uint16_t{0x0002});         // tie to even (2)
        QCOMPARE(f32ToF16(std::ldexp(1.0f, -14)), uint16_t{0x0400});         // smallest normal
        QCOMPARE(f32ToF16(1.0f + std::ldexp(1.0f, -11)), uint16_t{0x3C00});  // tie, even below
        QCOMPARE(f32ToF16(1.0f + std::ldexp(3.0f, -11)), uint16_t{0x3C02});  // tie, even above
        QCOMPARE(f32ToF16(1.0f + std::ldexp(1.1f, -11)), uint16_t{0x3C01});  // above the tie
        const uint16_t nan = f32ToF16(NAN);
        QCOMPARE(nan & 0x7C00, 0x7C00);
        QVERIFY((nan & 0x3FF) != 0);
        QCOMPARE(f16ToF32(0x3555), 0.333251953125f);
        QCOMPARE(f16ToF32(0x0001), std::ldexp(1.0f, -24));
        QCOMPARE(f16ToF32(0x83FF), -std::ldexp(1023.0f, -24));
        QVERIFY(std::isinf(f16ToF32(0x7C00)));
        QVERIFY(std::isnan(f16ToF32(0x7E00)));
    }

    void f16RoundTripsEveryValue() {
        for (uint32_t h = 0; h <= 0xFFFF; ++h) {
            const float f = f16ToF32(static_cast<uint16_t>(h));
            if (std::isnan(f)) {
                QVERIFY(std::isnan(f16ToF32(f32ToF16(f))));
                continue;
            }
            if (f32ToF16(f) != h)
                QFAIL(qPrintable(QStringLiteral("f16 0x%1 does not round-trip").arg(h, 0, 16)));
        }
    }

    void bf16RoundsToNearestEven() {
        QCOMPARE(f32ToBf16(1.0f), uint16_t{0x3F80});
        QCOMPARE(f32ToBf16(1.0f + std::ldexp(1.0f, -8)), uint16_t{0x3F80});  // tie, even below
        QCOMPARE(f32ToBf16(1.0f + std::ldexp(3.0f, -8)), uint16_t{0x3F82});  // tie, even above
        QCOMPARE(f32ToBf16(1.0f + std::ldexp(1.5f, -8)), uint16_t{0x3F81});
        QCOMPARE(f32ToBf16(-3.0f), uint16_t{0xC040});
        QCOMPARE(f32ToBf16(std::bit_cast<float>(0x7F800001u)) & 0x7FC0, 0x7FC0);   // NaN stays NaN
        QCOMPARE(f32ToBf16(std::bit_cast<float>(0x7F7FFFFFu)), uint16_t{0x7F80});  // max -> inf
        for (uint32_t b = 0; b <= 0xFFFF; ++b) {
            const float f = bf16ToF32(static_cast<uint16_t>(b));
            QCOMPARE(std::bit_cast<uint32_t>(f), b << 16);
            if (!std::isnan(f) && f32ToBf16(f) != b)
                QFAIL("bf16 value does not round-trip");
        }
    }

    void floatRows() {
        std::vector<uint8_t> f16(4), bf16(4), f32(8);
        putF16(f16, 0, 1.5f);
        putF16(f16, 2, -0.25f);
        const uint16_t b0 = f32ToBf16(2.5f), b1 = f32ToBf16(-7.0f);
        std::memcpy(bf16.data(), &b0, 2);
        std::memcpy(bf16.data() + 2, &b1, 2);
        const float values[2] = {3.25f, -1e-3f};
        std::memcpy(f32.data(), values, 8);
        QCOMPARE(decode(GgmlType::F16, f16, 2), (std::vector<float>{1.5f, -0.25f}));
        QCOMPARE(decode(GgmlType::BF16, bf16, 2), (std::vector<float>{2.5f, -7.0f}));
        QCOMPARE(decode(GgmlType::F32, f32, 2), (std::vector<float>{3.25f, -1e-3f}));
    }

    void q4_0() {
        const auto q = quants32(4, 1);
        std::vector<uint8_t> b(18);
        putF16(b, 0, -0.5f);
        putNibbles32(b, 2, q);
        const auto y = decode(GgmlType::Q4_0, b, 32);
        QCOMPARE(y[0], 4.0f);    // (0 - 8) * -0.5
        QCOMPARE(y[31], -3.5f);  // (15 - 8) * -0.5
        for (int j = 0; j < 32; ++j)
            QCOMPARE(y[j], (q[j] - 8) * -0.5f);
    }

    void q4_1() {
        const auto q = quants32(4, 2);
        std::vector<uint8_t> b(20);
        putF16(b, 0, 0.25f);
        putF16(b, 2, -1.5f);
        putNibbles32(b, 4, q);
        const auto y = decode(GgmlType::Q4_1, b, 32);
        QCOMPARE(y[31], 2.25f);  // 15 * 0.25 - 1.5
        for (int j = 0; j < 32; ++j)
            QCOMPARE(y[j], q[j] * 0.25f - 1.5f);
    }

    void q5_0() {
        const auto q = quants32(5, 3);
        std::vector<uint8_t> b(22);
        putF16(b, 0, 2.0f);
        putHighBits32(b, 2, q);
        putNibbles32(b, 6, q);
        const auto y = decode(GgmlType::Q5_0, b, 32);
        QCOMPARE(y[0], -32.0f);  // (0 - 16) * 2
        QCOMPARE(y[31], 30.0f);  // (31 - 16) * 2: bit 31 of qh
        for (int j = 0; j < 32; ++j)
            QCOMPARE(y[j], (q[j] - 16) * 2.0f);
    }

    void q5_1() {
        const auto q = quants32(5, 4);
        std::vector<uint8_t> b(24);
        putF16(b, 0, 0.125f);
        putF16(b, 2, 3.0f);
        putHighBits32(b, 4, q);
        putNibbles32(b, 8, q);
        const auto y = decode(GgmlType::Q5_1, b, 32);
        for (int j = 0; j < 32; ++j)
            QCOMPARE(y[j], q[j] * 0.125f + 3.0f);
    }

    void q8_0() {
        std::vector<uint8_t> b(34);
        putF16(b, 0, 0.5f);
        for (int j = 0; j < 32; ++j)
            b[2 + j] = static_cast<uint8_t>(static_cast<int8_t>(j * 8 - 127));
        const auto y = decode(GgmlType::Q8_0, b, 32);
        QCOMPARE(y[0], -63.5f);
        QCOMPARE(y[31], 60.5f);
        for (int j = 0; j < 32; ++j)
            QCOMPARE(y[j], (j * 8 - 127) * 0.5f);
    }

    void q8_0MultipleBlocks() {
        std::vector<uint8_t> b(68, 0);
        putF16(b, 0, 1.0f);
        putF16(b, 34, -4.0f);
        b[2] = 3;
        b[36] = 3;
        const auto y = decode(GgmlType::Q8_0, b, 64);
        QCOMPARE(y[0], 3.0f);
        QCOMPARE(y[32], -12.0f);
        QCOMPARE(y[63], 0.0f);
    }

    void q4_K() {
        std::vector<uint8_t> b(144);
        putF16(b, 0, 0.5f);
        putF16(b, 2, 0.25f);
        const auto s = packKScales(kScales, kMins);
        std::memcpy(b.data() + 4, s.data(), 12);
        std::array<int, 256> q{};
        for (int i = 0; i < 256; ++i)
            q[i] = (i * 5 + i / 32) % 16;
        // Chunk c: qs[32c + l] low nibble = element 64c + l, high nibble = 64c + 32 + l.
        for (int c = 0; c < 4; ++c) {
            for (int l = 0; l < 32; ++l)
                b[16 + 32 * c + l] =
                    static_cast<uint8_t>(q[64 * c + l] | (q[64 * c + 32 + l] << 4));
        }
        const auto y = decode(GgmlType::Q4_K, b, 256);
        for (int i = 0; i < 256; ++i) {
            const int j = i / 32;
            QCOMPARE(y[i], 0.5f * kScales[j] * q[i] - 0.25f * kMins[j]);
        }
        // Sub-block 6 has scale 63 and min 1: both need their high bits from bytes 2 and 6.
        QCOMPARE(y[6 * 32], 0.5f * 63 * q[192] - 0.25f);
    }

    void q5_K() {
        std::vector<uint8_t> b(176, 0);
        putF16(b, 0, 0.25f);
        putF16(b, 2, 0.5f);
        const auto s = packKScales(kScales, kMins);
        std::memcpy(b.data() + 4, s.data(), 12);
        std::array<int, 256> q{};
        for (int i = 0; i < 256; ++i)
            q[i] = (i * 11 + i / 16) % 32;
        for (int c = 0; c < 4; ++c) {
            for (int l = 0; l < 32; ++l) {
                const int lo = q[64 * c + l], hi = q[64 * c + 32 + l];
                b[48 + 32 * c + l] = static_cast<uint8_t>((lo & 0xF) | ((hi & 0xF) << 4));
                b[16 + l] |=
                    static_cast<uint8_t>(((lo >> 4) << (2 * c)) | ((hi >> 4) << (2 * c + 1)));
            }
        }
        const auto y = decode(GgmlType::Q5_K, b, 256);
        for (int i = 0; i < 256; ++i) {
            const int j = i / 32;
            QCOMPARE(y[i], 0.25f * kScales[j] * q[i] - 0.5f * kMins[j]);
        }
    }

    void q6_K() {
        std::vector<uint8_t> b(210, 0);
        std::array<int, 256> q{};
        for (int i = 0; i < 256; ++i)
            q[i] = (i * 13 + i / 64) % 64;
        q[255] = 63;
        const std::array<int, 16> sc = {1,   -1, 127, -128, 5,  -7, 9,   11,
                                        -13, 15, 17,  -19,  21, 23, -25, 64};
        // Half h, l in 0..31: element l, l+32, l+64, l+96 of the half; ql[l] holds the low
        // nibbles of l and l+64, ql[l+32] of l+32 and l+96; qh[l] the high pairs, 2 bits each.
        for (int h = 0; h < 2; ++h) {
            for (int l = 0; l < 32; ++l) {
                const int* e = &q[128 * h];
                b[64 * h + l] = static_cast<uint8_t>((e[l] & 0xF) | ((e[l + 64] & 0xF) << 4));
                b[64 * h + l + 32] =
                    static_cast<uint8_t>((e[l + 32] & 0xF) | ((e[l + 96] & 0xF) << 4));
                b[128 + 32 * h + l] =
                    static_cast<uint8_t>((e[l] >> 4) | ((e[l + 32] >> 4) << 2) |
                                         ((e[l + 64] >> 4) << 4) | ((e[l + 96] >> 4) << 6));
            }
        }
        for (int g = 0; g < 16; ++g)
            b[192 + g] = static_cast<uint8_t>(static_cast<int8_t>(sc[g]));
        putF16(b, 208, 0.5f);
        const auto y = decode(GgmlType::Q6_K, b, 256);
        for (int i = 0; i < 256; ++i)
            QCOMPARE(y[i], 0.5f * sc[i / 16] * (q[i] - 32));
        QCOMPARE(y[255], 0.5f * 64 * 31);
    }
};

QTEST_GUILESS_MAIN(TestDequantize)
#include "test_dequantize.moc"
