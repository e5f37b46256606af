// A read-only memory mapping of a whole file: model weights are used in place, never copied.
#pragma once

#include <cstddef>
#include <filesystem>
#include <span>

#include "common/result.h"

namespace parley::gguf {

class MappedFile {
  public:
    static Result<MappedFile> open(const std::filesystem::path& path);

    MappedFile() = default;
    MappedFile(MappedFile&& other) noexcept;
    MappedFile& operator=(MappedFile&& other) noexcept;
    MappedFile(const MappedFile&) = delete;
    MappedFile& operator=(const MappedFile&) = delete;
    ~MappedFile();

    std::span<const std::byte> bytes() const { return {data_, size_}; }

    // Drops the pages lying wholly inside `range` (part of the mapping) from memory, for data
    // copied elsewhere: touching them again reads them back from the file.
    Status releasePages(std::span<const std::byte> range) const;

  private:
    MappedFile(const std::byte* data, std::size_t size) : data_(data), size_(size) {}
    void release();

    const std::byte* data_ = nullptr;
    std::size_t size_ = 0;
};

}  // namespace parley::gguf
