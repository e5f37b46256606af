#include "inference/gguf/gguf_file.h"

#include <cstring>
#include <limits>

namespace parley::gguf {
namespace {

constexpr uint32_t kMagic = 0x46554747;  // "GGUF" read as little-endian u32
constexpr uint32_t kDefaultAlignment = 32;
constexpr uint32_t kMaxDims = 4;
constexpr std::size_t kMaxTensorName = 63;  // ggml's GGML_MAX_NAME (64) includes the NUL
constexpr std::size_t kMaxKey = 65535;

// Smallest encodings, used to bound counts before anything is allocated for them.
constexpr uint64_t kMinKvBytes = 8 + 1 + 4 + 1;                  // key length, 1-byte key, type, u8
constexpr uint64_t kMinTensorInfoBytes = 8 + 1 + 4 + 8 + 4 + 8;  // name, 1 dim, type, offset

std::optional<uint64_t> scalarSize(ValueType t) {
    switch (t) {
        case ValueType::UInt8:
        case ValueType::Int8:
        case ValueType::Bool:
            return 1;
        case ValueType::UInt16:
        case ValueType::Int16:
            return 2;
        case ValueType::UInt32:
        case ValueType::Int32:
        case ValueType::Float32:
            return 4;
        case ValueType::UInt64:
        case ValueType::Int64:
        case ValueType::Float64:
            return 8;
        case ValueType::String:
        case ValueType::Array:
            return std::nullopt;
    }
    return std::nullopt;
}

bool validValueType(uint32_t t) {
    return t <= static_cast<uint32_t>(ValueType::Float64);
}

bool mulOverflows(uint64_t a, uint64_t b, uint64_t& out) {
    return __builtin_mul_overflow(a, b, &out);
}

}  // namespace

std::string_view valueTypeName(ValueType type) {
    static constexpr std::string_view kNames[] = {
        "u8", "i8", "u16", "i16", "u32", "i32", "f32", "bool", "str", "array", "u64", "i64", "f64"};
    const auto i = static_cast<uint32_t>(type);
    return i < std::size(kNames) ? kNames[i] : std::string_view("?");
}

bool MetadataValue::isInteger() const {
    switch (type) {
        case ValueType::UInt8:
        case ValueType::Int8:
        case ValueType::UInt16:
        case ValueType::Int16:
        case ValueType::UInt32:
        case ValueType::Int32:
        case ValueType::UInt64:
        case ValueType::Int64:
            return true;
        default:
            return false;
    }
}

// Reads the file front to back. Every read checks the bytes left first.
class Parser {
  public:
    Parser(GgufFile& file) : f_(file), bytes_(file.bytes_) {}

    Status run() {
        if (bytes_.size() < 24)
            return fail("too small to be a GGUF file (" + size() + " bytes)");
        uint32_t magic = 0;
        read(magic);
        if (magic != kMagic)
            return fail("not a GGUF file (bad magic)");
        read(f_.version_);
        if ((f_.version_ & 0xFFFF) == 0) {
            return fail("big-endian GGUF files are not supported");
        }
        if (f_.version_ == 1)
            return fail("GGUF version 1 is obsolete and not supported");
        if (f_.version_ != 2 && f_.version_ != 3) {
            return fail("unsupported GGUF version " + std::to_string(f_.version_));
        }
        uint64_t tensorCount = 0;
        uint64_t kvCount = 0;
        read(tensorCount);
        read(kvCount);
        if (kvCount > remaining() / kMinKvBytes) {
            return fail("metadata count " + std::to_string(kvCount) + " exceeds the file size");
        }
        if (tensorCount > remaining() / kMinTensorInfoBytes) {
            return fail("tensor count " + std::to_string(tensorCount) + " exceeds the file size");
        }
        f_.metadata_.reserve(kvCount);
        for (uint64_t i = 0; i < kvCount; ++i) {
            if (auto s = readKeyValue(i); !s)
                return s;
        }
        if (auto s = readAlignment(); !s)
            return s;
        f_.tensors_.reserve(tensorCount);
        for (uint64_t i = 0; i < tensorCount; ++i) {
            if (auto s = readTensorInfo(i); !s)
                return s;
        }
        const uint64_t a = f_.alignment_;
        const uint64_t dataStart = (pos_ + a - 1) / a * a;
        if (tensorCount > 0 && dataStart > bytes_.size()) {
            return fail("tensor data section starts past the end of the file");
        }
        f_.dataOffset_ = dataStart;
        for (const auto& t : f_.tensors_) {
            const uint64_t avail = bytes_.size() >= dataStart ? bytes_.size() - dataStart : 0;
            if (t.offset > avail || t.bytes > avail - t.offset) {
                return fail("tensor '" + std::string(t.name) + "' (" + std::to_string(t.bytes) +
                            " bytes at offset " + std::to_string(t.offset) +
                            ") extends past the end of the file; the file may be truncated");
            }
        }
        return Ok{};
    }

  private:
    Error fail(const std::string& what) const { return makeError(f_.name_ + ": " + what); }
    std::string size() const { return std::to_string(bytes_.size()); }
    uint64_t remaining() const { return bytes_.size() - pos_; }

    template <class T>
    void read(T& out) {  // caller has checked remaining() >= sizeof(T)
        std::memcpy(&out, bytes_.data() + pos_, sizeof(T));
        pos_ += sizeof(T);
    }

    template <class T>
    bool readChecked(T& out) {
        if (remaining() < sizeof(T))
            return false;
        read(out);
        return true;
    }

    bool readString(std::string_view& out, uint64_t maxLen) {
        uint64_t len = 0;
        if (!readChecked(len) || len > remaining() || len > maxLen)
            return false;
        out = std::string_view(reinterpret_cast<const char*>(bytes_.data() + pos_), len);
        pos_ += len;
        return true;
    }

    bool readScalar(ValueType t, MetadataValue& v) {
        switch (t) {
            case ValueType::UInt8:
                return readInt<uint8_t>(v);
            case ValueType::Int8:
                return readInt<int8_t>(v);
            case ValueType::UInt16:
                return readInt<uint16_t>(v);
            case ValueType::Int16:
                return readInt<int16_t>(v);
            case ValueType::UInt32:
                return readInt<uint32_t>(v);
            case ValueType::Int32:
                return readInt<int32_t>(v);
            case ValueType::UInt64:
                return readInt<uint64_t>(v);
            case ValueType::Int64:
                return readInt<int64_t>(v);
            case ValueType::Float32: {
                float x = 0;
                if (!readChecked(x))
                    return false;
                v.asFloat = x;
                return true;
            }
            case ValueType::Float64:
                return readChecked(v.asFloat);
            case ValueType::Bool: {
                uint8_t b = 0;
                if (!readChecked(b) || b > 1)
                    return false;
                v.asUnsigned = b;
                v.asSigned = b;
                return true;
            }
            default:
                return false;
        }
    }

    template <class T>
    bool readInt(MetadataValue& v) {
        T x{};
        if (!readChecked(x))
            return false;
        if constexpr (std::is_signed_v<T>) {
            v.asSigned = x;
            v.asUnsigned = x >= 0 ? static_cast<uint64_t>(x) : 0;
        } else {
            v.asUnsigned = x;
            v.integerFitsSigned = x <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
            v.asSigned = v.integerFitsSigned ? static_cast<int64_t>(x) : 0;
        }
        v.asFloat = static_cast<double>(x);
        return true;
    }

    Status readKeyValue(uint64_t index) {
        const std::string where = "metadata entry " + std::to_string(index);
        std::string_view key;
        if (!readString(key, kMaxKey))
            return fail(where + ": key is truncated or too long");
        if (key.empty())
            return fail(where + ": empty key");
        const std::string named = "metadata '" + std::string(key) + "'";
        uint32_t rawType = 0;
        if (!readChecked(rawType))
            return fail(named + ": value type is truncated");
        if (!validValueType(rawType)) {
            return fail(named + ": unknown value type " + std::to_string(rawType));
        }
        MetadataValue v;
        v.type = static_cast<ValueType>(rawType);
        if (v.type == ValueType::String) {
            if (!readString(v.asString, remaining()))
                return fail(named + ": string is truncated");
        } else if (v.type == ValueType::Array) {
            if (auto s = readArray(named, v); !s)
                return s;
        } else if (!readScalar(v.type, v)) {
            return fail(named + ": value is truncated or invalid");
        }
        if (f_.metadataIndex_.contains(key))
            return fail(named + ": duplicate key");
        f_.metadataIndex_.emplace(key, f_.metadata_.size());
        f_.metadata_.emplace_back(key, std::move(v));
        return Ok{};
    }

    Status readArray(const std::string& named, MetadataValue& v) {
        uint32_t rawType = 0;
        if (!readChecked(rawType) || !readChecked(v.arrayCount)) {
            return fail(named + ": array header is truncated");
        }
        if (!validValueType(rawType)) {
            return fail(named + ": unknown array element type " + std::to_string(rawType));
        }
        v.arrayType = static_cast<ValueType>(rawType);
        if (v.arrayType == ValueType::Array)
            return fail(named + ": nested arrays are not supported");
        if (v.arrayType == ValueType::String) {
            if (v.arrayCount > remaining() / 8) {
                return fail(named + ": array of " + std::to_string(v.arrayCount) +
                            " strings exceeds the file size");
            }
            v.arrayStrings.resize(v.arrayCount);
            for (auto& s : v.arrayStrings) {
                if (!readString(s, remaining()))
                    return fail(named + ": array string is truncated");
            }
            return Ok{};
        }
        const uint64_t elem = *scalarSize(v.arrayType);
        if (v.arrayCount > remaining() / elem) {
            return fail(named + ": array of " + std::to_string(v.arrayCount) +
                        " elements exceeds the file size");
        }
        const uint64_t n = v.arrayCount * elem;
        v.arrayBytes = bytes_.subspan(pos_, n);
        if (v.arrayType == ValueType::Bool) {
            for (auto b : v.arrayBytes) {
                if (std::to_integer<uint8_t>(b) > 1)
                    return fail(named + ": invalid bool in array");
            }
        }
        pos_ += n;
        return Ok{};
    }

    Status readAlignment() {
        const auto* v = f_.find("general.alignment");
        if (v == nullptr) {
            f_.alignment_ = kDefaultAlignment;
            return Ok{};
        }
        if (v->type != ValueType::UInt32)
            return fail("general.alignment must be a u32");
        const uint64_t a = v->asUnsigned;
        if (a == 0 || (a & (a - 1)) != 0) {
            return fail("general.alignment " + std::to_string(a) + " is not a power of two");
        }
        f_.alignment_ = static_cast<uint32_t>(a);
        return Ok{};
    }

    Status readTensorInfo(uint64_t index) {
        const std::string where = "tensor " + std::to_string(index);
        TensorInfo t;
        if (!readString(t.name, remaining()))
            return fail(where + ": name is truncated");
        if (t.name.empty())
            return fail(where + ": empty name");
        if (t.name.size() > kMaxTensorName) {
            return fail(where + ": name longer than " + std::to_string(kMaxTensorName) + " bytes");
        }
        const std::string named = "tensor '" + std::string(t.name) + "'";
        if (!readChecked(t.nDims))
            return fail(named + ": dimension count is truncated");
        if (t.nDims == 0 || t.nDims > kMaxDims) {
            return fail(named + ": " + std::to_string(t.nDims) + " dimensions (1 to 4 allowed)");
        }
        uint64_t elements = 1;
        for (uint32_t d = 0; d < t.nDims; ++d) {
            if (!readChecked(t.ne[d]))
                return fail(named + ": shape is truncated");
            if (t.ne[d] == 0 ||
                t.ne[d] > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
                return fail(named + ": dimension " + std::to_string(d) + " has invalid size " +
                            std::to_string(t.ne[d]));
            }
            if (mulOverflows(elements, t.ne[d], elements) ||
                elements > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
                return fail(named + ": element count overflows");
            }
        }
        uint32_t rawType = 0;
        if (!readChecked(rawType))
            return fail(named + ": type is truncated");
        const auto traits = quant::typeTraits(rawType);
        if (!traits)
            return fail(named + ": unknown tensor type " + std::to_string(rawType));
        t.type = traits->type;
        if (t.ne[0] % traits->blockElements != 0) {
            return fail(named + ": row of " + std::to_string(t.ne[0]) +
                        " elements is not a whole " + "number of " + std::string(traits->name) +
                        " blocks");
        }
        const auto row = quant::rowBytes(t.type, t.ne[0]);
        if (!row)
            return fail(named + ": byte size overflows");
        if (mulOverflows(*row, t.rows(), t.bytes))
            return fail(named + ": byte size overflows");
        if (!readChecked(t.offset))
            return fail(named + ": offset is truncated");
        if (t.offset % f_.alignment_ != 0) {
            return fail(named + ": offset " + std::to_string(t.offset) + " is not aligned to " +
                        std::to_string(f_.alignment_));
        }
        if (f_.tensorIndex_.contains(t.name))
            return fail(named + ": duplicate tensor name");
        f_.tensorIndex_.emplace(t.name, f_.tensors_.size());
        f_.tensors_.push_back(t);
        return Ok{};
    }

    GgufFile& f_;
    std::span<const std::byte> bytes_;
    uint64_t pos_ = 0;
};

Result<GgufFile> GgufFile::open(const std::filesystem::path& path) {
    auto mapping = MappedFile::open(path);
    if (!mapping)
        return mapping.error();
    GgufFile file;
    file.mapping_ = std::move(mapping.value());
    file.bytes_ = file.mapping_.bytes();
    file.name_ = path.string();
    Parser parser(file);
    if (auto s = parser.run(); !s)
        return s.error();
    return file;
}

Result<GgufFile> GgufFile::parse(std::span<const std::byte> bytes, std::string name) {
    GgufFile file;
    file.bytes_ = bytes;
    file.name_ = std::move(name);
    Parser parser(file);
    if (auto s = parser.run(); !s)
        return s.error();
    return file;
}

const MetadataValue* GgufFile::find(std::string_view key) const {
    const auto it = metadataIndex_.find(key);
    return it == metadataIndex_.end() ? nullptr : &metadata_[it->second].second;
}

std::optional<uint64_t> GgufFile::getUnsigned(std::string_view key) const {
    const auto* v = find(key);
    if (v == nullptr || !v->isInteger())
        return std::nullopt;
    if (v->integerFitsSigned && v->asSigned < 0)
        return std::nullopt;
    return v->asUnsigned;
}

std::optional<int64_t> GgufFile::getSigned(std::string_view key) const {
    const auto* v = find(key);
    if (v == nullptr || !v->isInteger() || !v->integerFitsSigned)
        return std::nullopt;
    return v->asSigned;
}

std::optional<double> GgufFile::getFloat(std::string_view key) const {
    const auto* v = find(key);
    if (v == nullptr || !(v->isInteger() || v->isFloat()))
        return std::nullopt;
    return v->asFloat;
}

std::optional<bool> GgufFile::getBool(std::string_view key) const {
    const auto* v = find(key);
    if (v == nullptr || v->type != ValueType::Bool)
        return std::nullopt;
    return v->asUnsigned != 0;
}

std::optional<std::string_view> GgufFile::getString(std::string_view key) const {
    const auto* v = find(key);
    if (v == nullptr || v->type != ValueType::String)
        return std::nullopt;
    return v->asString;
}

const std::vector<std::string_view>* GgufFile::getStringArray(std::string_view key) const {
    const auto* v = find(key);
    if (v == nullptr || v->type != ValueType::Array || v->arrayType != ValueType::String) {
        return nullptr;
    }
    return &v->arrayStrings;
}

std::optional<std::vector<double>> GgufFile::getNumberArray(std::string_view key) const {
    const auto* v = find(key);
    if (v == nullptr || v->type != ValueType::Array || v->arrayType == ValueType::String) {
        return std::nullopt;
    }
    const auto elem = *scalarSize(v->arrayType);
    std::vector<double> out(v->arrayCount);
    const std::byte* p = v->arrayBytes.data();
    auto load = [&]<class T>(T, uint64_t i) {
        T x;
        std::memcpy(&x, p + i * elem, sizeof(T));
        return static_cast<double>(x);
    };
    for (uint64_t i = 0; i < v->arrayCount; ++i) {
        switch (v->arrayType) {
            case ValueType::UInt8:
            case ValueType::Bool:
                out[i] = load(uint8_t{}, i);
                break;
            case ValueType::Int8:
                out[i] = load(int8_t{}, i);
                break;
            case ValueType::UInt16:
                out[i] = load(uint16_t{}, i);
                break;
            case ValueType::Int16:
                out[i] = load(int16_t{}, i);
                break;
            case ValueType::UInt32:
                out[i] = load(uint32_t{}, i);
                break;
            case ValueType::Int32:
                out[i] = load(int32_t{}, i);
                break;
            case ValueType::Float32:
                out[i] = load(float{}, i);
                break;
            case ValueType::UInt64:
                out[i] = load(uint64_t{}, i);
                break;
            case ValueType::Int64:
                out[i] = load(int64_t{}, i);
                break;
            case ValueType::Float64:
                out[i] = load(double{}, i);
                break;
            default:
                return std::nullopt;
        }
    }
    return out;
}

const TensorInfo* GgufFile::findTensor(std::string_view name) const {
    const auto it = tensorIndex_.find(name);
    return it == tensorIndex_.end() ? nullptr : &tensors_[it->second];
}

std::span<const std::byte> GgufFile::tensorData(const TensorInfo& tensor) const {
    return bytes_.subspan(dataOffset_ + tensor.offset, tensor.bytes);
}

Status GgufFile::releasePages(std::span<const std::byte> bytes) const {
    if (mapping_.bytes().empty())
        return Ok{};
    if (auto released = mapping_.releasePages(bytes); !released)
        return makeError(name_ + ": " + released.error().message);
    return Ok{};
}

}  // namespace parley::gguf
