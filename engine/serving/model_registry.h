// The models one process serves: each loaded GGUF file with its own ServingEngine (KV pool,
// scheduler), all sharing one worker ThreadPool. The gateway, the chat pipeline and the app look
// models up here by id; "auto" or "" means the default model.
//
// Thread-safe. A model is handed out as a shared_ptr, so unloading it while requests still run
// only drops the registry's reference: the engine finishes them (as Cancelled) when the last
// holder lets go.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/result.h"
#include "inference/cpu/thread_pool.h"
#include "inference/runtime/loaded_model.h"
#include "serving/serving_engine.h"

namespace parley::serving {

struct HostedModel {
    std::string id;  // file name without ".gguf" unless given
    std::filesystem::path path;
    std::unique_ptr<runtime::LoadedModel> loaded;
    std::unique_ptr<ServingEngine> engine;  // declared last: destroyed before the model it runs
};

// How far a load has got. Mapping: the file is being opened, checked and its weights bound (no
// byte counts yet). Reading: the weights are read into memory, one tensor after another, so that
// the first answer does not wait on the disk.
struct LoadProgress {
    enum class Stage { Mapping, Reading };
    Stage stage = Stage::Mapping;
    int64_t bytesDone = 0;
    int64_t bytesTotal = 0;  // the weights' bytes
    int tensorsDone = 0;
    int tensorsTotal = 0;
};
// Called on the thread that runs load(), in order; the last call has every tensor read.
using LoadProgressCallback = std::function<void(const LoadProgress&)>;

struct RegistryConfig {
    int threads = 0;                      // worker threads; <= 0: one per core
    int64_t kvBudgetBytes = 256ll << 20;  // per model
    SchedulerConfig scheduler;
};

class ModelRegistry {
  public:
    explicit ModelRegistry(RegistryConfig config = {});
    ~ModelRegistry();
    ModelRegistry(const ModelRegistry&) = delete;
    ModelRegistry& operator=(const ModelRegistry&) = delete;

    // Loads the file and starts its engine (slow: call it off the UI thread). The first model
    // loaded becomes the default. An id already in use is an error. `onProgress`, when given,
    // hears how far the load has got.
    Result<std::shared_ptr<const HostedModel>> load(const std::filesystem::path& path,
                                                    std::string id = {},
                                                    const LoadProgressCallback& onProgress = {});
    Status unload(const std::string& id);

    // nullptr when no such model; "auto" and "" give the default.
    std::shared_ptr<const HostedModel> find(const std::string& id) const;
    std::vector<std::shared_ptr<const HostedModel>> models() const;  // sorted by id
    std::string defaultId() const;
    Status setDefault(const std::string& id);

    // Prometheus text of every engine's metrics.
    std::string renderMetrics() const;
    cpu::ThreadPool& threads() { return threads_; }

  private:
    RegistryConfig config_;
    cpu::ThreadPool threads_;
    mutable std::mutex mutex_;
    std::vector<std::shared_ptr<HostedModel>> models_;
    std::string defaultId_;
    uint64_t nextModelKey_ = 1;
};

}  // namespace parley::serving
