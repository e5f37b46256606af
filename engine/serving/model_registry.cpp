#include "serving/model_registry.h"

#include <algorithm>

namespace parley::serving {

ModelRegistry::ModelRegistry(RegistryConfig config)
    : config_(std::move(config)), threads_(config_.threads) {}

ModelRegistry::~ModelRegistry() = default;

Result<std::shared_ptr<const HostedModel>> ModelRegistry::load(const std::filesystem::path& path,
                                                               std::string id) {
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
    auto loaded = runtime::LoadedModel::load(path);
    if (!loaded) {
        return loaded.error();
    }
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
