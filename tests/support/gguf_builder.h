// Builds GGUF files in memory for tests and fuzz seeds: the writer side of the format, kept
// deliberately simple so a test can also produce broken files byte by byte.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace parley::testing {

class GgufBuilder {
  public:
    explicit GgufBuilder(uint32_t version = 3, uint32_t alignment = 32)
        : version_(version), alignment_(alignment) {}

    GgufBuilder& kvU32(std::string_view key, uint32_t v) { return kvScalar(key, 4, v); }
    GgufBuilder& kvU64(std::string_view key, uint64_t v) { return kvScalar(key, 10, v); }
    GgufBuilder& kvI32(std::string_view key, int32_t v) { return kvScalar(key, 5, v); }
    GgufBuilder& kvF32(std::string_view key, float v) { return kvScalar(key, 6, v); }
    GgufBuilder& kvBool(std::string_view key, bool v) { return kvScalar(key, 7, uint8_t(v)); }
    GgufBuilder& kvString(std::string_view key, std::string_view v) {
        str(kv_, key);
        pod(kv_, uint32_t(8));
        str(kv_, v);
        ++kvCount_;
        return *this;
    }
    GgufBuilder& kvStringArray(std::string_view key, const std::vector<std::string>& vs) {
        str(kv_, key);
        pod(kv_, uint32_t(9));
        pod(kv_, uint32_t(8));
        pod(kv_, uint64_t(vs.size()));
        for (const auto& v : vs)
            str(kv_, v);
        ++kvCount_;
        return *this;
    }
    GgufBuilder& kvF32Array(std::string_view key, const std::vector<float>& vs) {
        str(kv_, key);
        pod(kv_, uint32_t(9));
        pod(kv_, uint32_t(6));
        pod(kv_, uint64_t(vs.size()));
        for (float v : vs)
            pod(kv_, v);
        ++kvCount_;
        return *this;
    }
    // Raw bytes appended to the metadata section, counted as `entries` key/value records.
    GgufBuilder& kvRaw(const std::vector<std::byte>& bytes, uint64_t entries) {
        kv_.insert(kv_.end(), bytes.begin(), bytes.end());
        kvCount_ += entries;
        return *this;
    }

    // A tensor whose data is `data` (placed at the next aligned offset unless `offset` is given).
    GgufBuilder& tensor(std::string_view name, std::vector<uint64_t> ne, uint32_t type,
                        const std::vector<std::byte>& data, int64_t offset = -1) {
        str(ti_, name);
        pod(ti_, uint32_t(ne.size()));
        for (auto n : ne)
            pod(ti_, n);
        pod(ti_, type);
        const uint64_t at = offset >= 0 ? uint64_t(offset) : alignUp(data_.size());
        pod(ti_, at);
        data_.resize(at + data.size());
        std::copy(data.begin(), data.end(), data_.begin() + static_cast<std::ptrdiff_t>(at));
        ++tensorCount_;
        return *this;
    }

    std::vector<std::byte> build() const {
        std::vector<std::byte> out;
        pod(out, uint32_t(0x46554747));
        pod(out, version_);
        pod(out, tensorCount_);
        pod(out, kvCount_);
        out.insert(out.end(), kv_.begin(), kv_.end());
        out.insert(out.end(), ti_.begin(), ti_.end());
        out.resize(alignUp(out.size()));
        out.insert(out.end(), data_.begin(), data_.end());
        return out;
    }

    template <class T>
    static void pod(std::vector<std::byte>& out, T v) {
        const std::size_t at = out.size();
        out.resize(at + sizeof(T));
        std::memcpy(out.data() + at, &v, sizeof(T));
    }
    static void str(std::vector<std::byte>& out, std::string_view s) {
        pod(out, uint64_t(s.size()));
        const std::size_t at = out.size();
        out.resize(at + s.size());
        if (!s.empty())
            std::memcpy(out.data() + at, s.data(), s.size());
    }

  private:
    template <class T>
    GgufBuilder& kvScalar(std::string_view key, uint32_t type, T v) {
        str(kv_, key);
        pod(kv_, type);
        pod(kv_, v);
        ++kvCount_;
        return *this;
    }
    uint64_t alignUp(uint64_t x) const { return (x + alignment_ - 1) / alignment_ * alignment_; }

    uint32_t version_;
    uint32_t alignment_;
    uint64_t tensorCount_ = 0;
    uint64_t kvCount_ = 0;
    std::vector<std::byte> kv_, ti_, data_;
};

inline std::vector<std::byte> filledBytes(std::size_t n, uint8_t value = 0) {
    return std::vector<std::byte>(n, std::byte{value});
}

}  // namespace parley::testing
