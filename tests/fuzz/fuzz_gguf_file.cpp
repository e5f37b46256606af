// libFuzzer entry: any byte string must parse or fail with an error, never crash or read out of
// bounds; on success every view the parser hands out is touched so ASan sees bad ranges.
#include <cstddef>
#include <cstdint>
#include <span>

#include "inference/gguf/gguf_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::span bytes(reinterpret_cast<const std::byte*>(data), size);
    auto file = parley::gguf::GgufFile::parse(bytes, "fuzz");
    if (!file)
        return 0;
    volatile std::size_t sink = 0;
    for (const auto& [key, value] : file->metadata()) {
        sink = sink + key.size() + value.asString.size();
        for (auto s : value.arrayStrings)
            sink = sink + (s.empty() ? 0 : std::size_t(s.back()));
        if (auto numbers = file->getNumberArray(key))
            sink = sink + numbers->size();
    }
    for (const auto& t : file->tensors()) {
        const auto d = file->tensorData(t);
        if (!d.empty())
            sink = sink + std::to_integer<std::size_t>(d.front() ^ d.back());
    }
    return 0;
}
