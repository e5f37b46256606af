// The models a user has installed: every *.gguf file in the models directory, with the facts its
// header gives. A file that fails to parse is listed with its error rather than hidden.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace parley::catalog {

struct ModelEntry {
    std::string id;  // file name without ".gguf"
    std::filesystem::path path;
    uint64_t fileBytes = 0;
    std::string architecture;  // general.architecture; empty when the file is unreadable
    std::string displayName;   // general.name, or the id
    uint64_t tensorCount = 0;
    std::string error;  // non-empty when the header does not parse
};

// $PARLEY_MODELS_DIR, else $XDG_DATA_HOME/parley/models, else ~/.local/share/parley/models.
std::filesystem::path defaultModelsDir();

// Entries sorted by id; a missing directory gives an empty list.
std::vector<ModelEntry> scanModels(const std::filesystem::path& dir);

}  // namespace parley::catalog
