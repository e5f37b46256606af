#include "inference/catalog/model_catalog.h"

#include <algorithm>
#include <cstdlib>
#include <system_error>

#include "inference/gguf/gguf_file.h"

namespace parley::catalog {

std::filesystem::path defaultModelsDir() {
    if (const char* dir = std::getenv("PARLEY_MODELS_DIR"); dir != nullptr && *dir != '\0') {
        return dir;
    }
    if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg != nullptr && *xdg != '\0') {
        return std::filesystem::path(xdg) / "parley" / "models";
    }
    const char* home = std::getenv("HOME");
    return std::filesystem::path(home != nullptr ? home : ".") / ".local" / "share" / "parley" /
           "models";
}

std::vector<ModelEntry> scanModels(const std::filesystem::path& dir) {
    std::vector<ModelEntry> entries;
    std::error_code ec;
    for (const auto& item : std::filesystem::directory_iterator(dir, ec)) {
        if (!item.is_regular_file(ec) || item.path().extension() != ".gguf")
            continue;
        ModelEntry e;
        e.path = item.path();
        e.id = item.path().stem().string();
        e.fileBytes = item.file_size(ec);
        auto file = gguf::GgufFile::open(e.path);
        if (!file) {
            e.error = file.error().message;
        } else {
            e.architecture = std::string(file->getString("general.architecture").value_or(""));
            e.displayName = std::string(file->getString("general.name").value_or(e.id));
            e.tensorCount = file->tensors().size();
        }
        entries.push_back(std::move(e));
    }
    std::sort(entries.begin(), entries.end(),
              [](const ModelEntry& a, const ModelEntry& b) { return a.id < b.id; });
    return entries;
}

}  // namespace parley::catalog
