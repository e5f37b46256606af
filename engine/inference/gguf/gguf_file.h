// GGUF v2/v3 reader. Parses the header, metadata and tensor table of a memory-mapped (or in-memory)
// file, checking every count, length, offset and size against the bytes actually present, so a
// malformed file yields an Error naming the file and the problem instead of a crash.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/result.h"
#include "inference/gguf/mapped_file.h"
#include "inference/quant/ggml_type.h"

namespace parley::gguf {

// On-disk ids of metadata value types (GGUF spec).
enum class ValueType : uint32_t {
    UInt8 = 0,
    Int8 = 1,
    UInt16 = 2,
    Int16 = 3,
    UInt32 = 4,
    Int32 = 5,
    Float32 = 6,
    Bool = 7,
    String = 8,
    Array = 9,
    UInt64 = 10,
    Int64 = 11,
    Float64 = 12,
};

std::string_view valueTypeName(ValueType type);

// One metadata value. Scalars are widened on parse; arrays keep a view of their raw elements
// (numeric) or a list of views (strings) into the mapped file.
struct MetadataValue {
    ValueType type = ValueType::UInt8;
    uint64_t asUnsigned = 0;  // integer types that are >= 0, and Bool
    int64_t asSigned = 0;     // every integer type, when it fits
    double asFloat = 0.0;     // every numeric type
    bool integerFitsSigned = true;
    std::string_view asString;

    ValueType arrayType = ValueType::UInt8;
    uint64_t arrayCount = 0;
    std::span<const std::byte> arrayBytes;       // numeric arrays: count * element size bytes
    std::vector<std::string_view> arrayStrings;  // string arrays

    bool isInteger() const;
    bool isFloat() const { return type == ValueType::Float32 || type == ValueType::Float64; }
};

struct TensorInfo {
    std::string_view name;
    std::array<uint64_t, 4> ne{1, 1, 1, 1};  // ne[0] is the contiguous dimension
    uint32_t nDims = 0;
    quant::GgmlType type = quant::GgmlType::F32;
    uint64_t offset = 0;  // relative to the data section
    uint64_t bytes = 0;

    uint64_t elements() const { return ne[0] * ne[1] * ne[2] * ne[3]; }
    uint64_t rows() const { return ne[1] * ne[2] * ne[3]; }
};

class GgufFile {
  public:
    // Maps and parses `path`. Errors read "<path>: <problem>".
    static Result<GgufFile> open(const std::filesystem::path& path);
    // Parses bytes that stay owned by the caller (tests, fuzzing). `name` prefixes errors.
    static Result<GgufFile> parse(std::span<const std::byte> bytes, std::string name);

    GgufFile(GgufFile&&) noexcept = default;
    GgufFile& operator=(GgufFile&&) noexcept = default;

    const std::string& name() const { return name_; }
    uint32_t version() const { return version_; }
    uint32_t alignment() const { return alignment_; }
    uint64_t dataOffset() const { return dataOffset_; }
    uint64_t fileSize() const { return bytes_.size(); }

    // Metadata in file order.
    const std::vector<std::pair<std::string_view, MetadataValue>>& metadata() const {
        return metadata_;
    }
    const MetadataValue* find(std::string_view key) const;

    // Typed look-ups; nullopt when the key is absent or holds a different kind of value.
    // Integer look-ups accept any integer width (writers mix u32 and u64).
    std::optional<uint64_t> getUnsigned(std::string_view key) const;
    std::optional<int64_t> getSigned(std::string_view key) const;
    std::optional<double> getFloat(std::string_view key) const;  // float or integer values
    std::optional<bool> getBool(std::string_view key) const;
    std::optional<std::string_view> getString(std::string_view key) const;
    const std::vector<std::string_view>* getStringArray(std::string_view key) const;
    // Numeric arrays converted element by element; nullopt when absent or not numeric.
    std::optional<std::vector<double>> getNumberArray(std::string_view key) const;

    const std::vector<TensorInfo>& tensors() const { return tensors_; }
    const TensorInfo* findTensor(std::string_view name) const;
    std::span<const std::byte> tensorData(const TensorInfo& tensor) const;
    // Drops the mapped pages wholly inside `bytes` (file data that has been copied) from memory;
    // nothing for a file parsed from the caller's bytes.
    Status releasePages(std::span<const std::byte> bytes) const;

  private:
    GgufFile() = default;

    MappedFile mapping_;
    std::span<const std::byte> bytes_;
    std::string name_;
    uint32_t version_ = 0;
    uint32_t alignment_ = 32;
    uint64_t dataOffset_ = 0;
    std::vector<std::pair<std::string_view, MetadataValue>> metadata_;
    std::unordered_map<std::string_view, std::size_t> metadataIndex_;
    std::vector<TensorInfo> tensors_;
    std::unordered_map<std::string_view, std::size_t> tensorIndex_;

    friend class Parser;
};

}  // namespace parley::gguf
