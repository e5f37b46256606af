#include "serving/model_registry.h"

#include <algorithm>
#include <atomic>
#include <span>

namespace parley::serving {

ModelRegistry::ModelRegistry(RegistryConfig config)
    : config_(std::move(config)), threads_(config_.threads) {}

ModelRegistry::~ModelRegistry() = default;

namespace {

// Touches every page of the tensors the model reads in the mapped file, so they are read from the
// disk now, with progress, rather than during the first answer. The matrices copied at load were
// read then; touching their dropped pages would only map them again.
void readWeights(const model::Model& model, const LoadProgressCallback& onProgress) {
    const gguf::GgufFile& file = model.file();
    constexpr std::size_t kPage = 4096;
    LoadProgress progress;
    progress.stage = LoadProgress::Stage::Reading;
    progress.tensorsTotal = static_cast<int>(file.tensors().size());
    for (const auto& tensor : file.tensors())
        progress.bytesTotal += static_cast<int64_t>(tensor.bytes);
    if (onProgress)
        onProgress(progress);
    unsigned char sink = 0;
    for (const auto& tensor : file.tensors()) {
        const std::span<const std::byte> bytes = file.tensorData(tensor);
        if (model.readsMappedBytes(tensor)) {
            for (std::size_t at = 0; at < bytes.size(); at += kPage)
                sink ^= static_cast<unsigned char>(bytes[at]);
        }
        progress.bytesDone += static_cast<int64_t>(tensor.bytes);
        ++progress.tensorsDone;
        if (onProgress)
            onProgress(progress);
    }
    // Keeps the reads from being optimised away.
    static std::atomic<unsigned char> lastByte;
    lastByte.store(sink, std::memory_order_relaxed);
}

}  // namespace

Result<std::shared_ptr<const HostedModel>> ModelRegistry::load(
    const std::filesystem::path& path, std::string id, const LoadProgressCallback& onProgress) {
    if (id.empty()) {
        id = path.stem().string();
    }
    {
        std::lock_guard lock(mutex_);
        for (const auto& m : models_) {
            if (m->id == id) {
                return makeError("a model with id '" + id + "' is already loaded (" +
                                 m->path.string() + ")");
            }
        }
    }
    // Loading takes seconds; the lock is not held meanwhile so lookups keep answering.
    if (onProgress) {
        onProgress({});
    }
    auto loaded = runtime::LoadedModel::load(path);
    if (!loaded) {
        return loaded.error();
    }
    readWeights(loaded.value()->model(), onProgress);
    auto hosted = std::make_shared<HostedModel>();
    hosted->id = id;
    hosted->path = path;
    hosted->loaded = std::move(loaded.value());

    std::lock_guard lock(mutex_);
    for (const auto& m : models_) {
        if (m->id == id) {
            return makeError("a model with id '" + id + "' was loaded meanwhile");
        }
    }
    ServingConfig serving;
    serving.kvBudgetBytes = config_.kvBudgetBytes;
    serving.scheduler = config_.scheduler;
    serving.modelId = nextModelKey_++;
    serving.modelName = id;
    hosted->engine = std::make_unique<ServingEngine>(
        hosted->loaded->model(), hosted->loaded->tokenizer(), threads_, serving);
    models_.push_back(hosted);
    std::sort(models_.begin(), models_.end(),
              [](const auto& a, const auto& b) { return a->id < b->id; });
    if (defaultId_.empty()) {
        defaultId_ = id;
    }
    return std::shared_ptr<const HostedModel>(hosted);
}

Status ModelRegistry::unload(const std::string& id) {
    std::shared_ptr<HostedModel> released;  // destroyed after the lock is dropped
    {
        std::lock_guard lock(mutex_);
        const auto it = std::find_if(models_.begin(), models_.end(),
                                     [&](const auto& m) { return m->id == id; });
        if (it == models_.end()) {
            return makeError("no model '" + id + "' is loaded");
        }
        released = std::move(*it);
        models_.erase(it);
        if (defaultId_ == id) {
            defaultId_ = models_.empty() ? std::string() : models_.front()->id;
        }
    }
    return Ok{};
}

std::shared_ptr<const HostedModel> ModelRegistry::find(const std::string& id) const {
    std::lock_guard lock(mutex_);
    const std::string& wanted = (id.empty() || id == "auto") ? defaultId_ : id;
    for (const auto& m : models_) {
        if (m->id == wanted) {
            return m;
        }
    }
    return nullptr;
}

std::vector<std::shared_ptr<const HostedModel>> ModelRegistry::models() const {
    std::lock_guard lock(mutex_);
    return {models_.begin(), models_.end()};
}

std::string ModelRegistry::defaultId() const {
    std::lock_guard lock(mutex_);
    return defaultId_;
}

Status ModelRegistry::setDefault(const std::string& id) {
    std::lock_guard lock(mutex_);
    for (const auto& m : models_) {
        if (m->id == id) {
            defaultId_ = id;
            return Ok{};
        }
    }
    return makeError("no model '" + id + "' is loaded");
}

std::string ModelRegistry::renderMetrics() const {
    std::vector<MetricsSnapshot> snapshots;
    for (const auto& m : models()) {
        snapshots.push_back(m->engine->metrics());
    }
    return renderPrometheus(snapshots);
}

}  // namespace parley::serving
