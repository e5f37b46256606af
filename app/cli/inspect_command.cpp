#include <cstdio>
#include <iostream>
#include <map>

#include "commands.h"
#include "inference/catalog/model_catalog.h"
#include "inference/gguf/gguf_file.h"
#include "options.h"

namespace parley::cli {
namespace {

std::string describeValue(const gguf::MetadataValue& v) {
    using gguf::ValueType;
    switch (v.type) {
        case ValueType::String: {
            constexpr std::size_t kMaxShown = 120;
            std::string s(v.asString.substr(0, kMaxShown));
            for (auto& c : s) {
                if (c == '\n')
                    c = ' ';
            }
            if (v.asString.size() > kMaxShown) {
                s.append("... (").append(std::to_string(v.asString.size())).append(" bytes)");
            }
            return s;
        }
        case ValueType::Array:
            return std::string("[")
                .append(gguf::valueTypeName(v.arrayType))
                .append(" x ")
                .append(std::to_string(v.arrayCount))
                .append("]");
        case ValueType::Bool:
            return v.asUnsigned ? "true" : "false";
        case ValueType::Float32:
        case ValueType::Float64:
            return std::to_string(v.asFloat);
        default:
            return v.integerFitsSigned ? std::to_string(v.asSigned) : std::to_string(v.asUnsigned);
    }
}

}  // namespace

int runInspect(const std::vector<std::string>& args) {
    const auto options = Options::parse(args, {"--model"}, {});
    if (!options)
        return 2;
    const std::string path = options->get("--model");
    if (path.empty()) {
        std::cerr << "error: inspect needs --model FILE\n";
        return 2;
    }
    auto file = gguf::GgufFile::open(path);
    if (!file) {
        std::cerr << "error: " << file.error().message << "\n";
        return 2;
    }
    std::cout << "file: " << path << "\n"
              << "gguf version: " << file->version() << "\n"
              << "architecture: " << file->getString("general.architecture").value_or("?") << "\n"
              << "tensors: " << file->tensors().size() << "\n\nmetadata:\n";
    for (const auto& [key, value] : file->metadata()) {
        if (key == "tokenizer.chat_template")
            continue;
        std::cout << "  " << key << " = " << describeValue(value) << "\n";
    }
    std::map<std::string_view, int> typeCounts;
    for (const auto& t : file->tensors())
        ++typeCounts[quant::typeTraits(t.type).name];
    std::cout << "\ntensor types:";
    for (const auto& [name, count] : typeCounts)
        std::cout << " " << name << "=" << count;
    std::cout << "\n\nchat template:\n"
              << file->getString("tokenizer.chat_template").value_or("(none in file)") << "\n";
    return 0;
}

int runModels(const std::vector<std::string>& args) {
    const auto options = Options::parse(args, {"--models-dir"}, {});
    if (!options)
        return 2;
    const std::string dirArg = options->get("--models-dir");
    const auto dir = dirArg.empty() ? catalog::defaultModelsDir() : std::filesystem::path(dirArg);
    const auto models = catalog::scanModels(dir);
    std::cout << "models in " << dir.string() << ":\n";
    if (models.empty())
        std::cout << "  (none)\n";
    for (const auto& m : models) {
        if (m.error.empty()) {
            std::printf("  %-40s %-8s %8.1f MB  %s\n", m.id.c_str(), m.architecture.c_str(),
                        m.fileBytes / 1e6, m.displayName.c_str());
        } else {
            std::printf("  %-40s unreadable: %s\n", m.id.c_str(), m.error.c_str());
        }
    }
    return 0;
}

}  // namespace parley::cli
