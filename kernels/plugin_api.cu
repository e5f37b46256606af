// The plug-in's one exported symbol, parley_cuda_api: the function table of
// engine/inference/backend/cuda_plugin_abi.h. Each entry turns DeviceError into a status code and
// a message in the caller's buffer; nothing here aborts or throws across the C boundary.
#include <algorithm>
#include <cstdio>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "cuda_plugin_abi.h"
#include "device_model.h"

struct ParleyCudaModel {
    std::unique_ptr<parley::cuda::DeviceModel> model;
};

namespace parley::cuda {
namespace {

// Hopper is the only architecture the plug-in carries machine code for.
constexpr int kMinComputeCapability = 90;

int fail(int code, const std::string& message, char* error, int size) {
    if (error != nullptr && size > 0)
        std::snprintf(error, std::size_t(size), "%s", message.c_str());
    return code;
}

int report(const DeviceError& e, char* error, int size) {
    return e ? fail(PARLEY_CUDA_FAILED, e.message, error, size) : PARLEY_CUDA_OK;
}

// Empty when device 0 can run the plug-in's kernels; otherwise why not.
std::string unusableDevice() {
    int count = 0;
    const cudaError_t status = cudaGetDeviceCount(&count);
    if (status != cudaSuccess)
        return std::string("no usable device (") + cudaGetErrorString(status) + ")";
    if (count == 0)
        return "no usable device (no CUDA device present)";
    cudaDeviceProp prop{};
    if (cudaGetDeviceProperties(&prop, 0) != cudaSuccess)
        return "no usable device (cannot read device 0's properties)";
    if (prop.major * 10 + prop.minor < kMinComputeCapability)
        return std::string("no usable device (") + prop.name + " is sm_" +
               std::to_string(prop.major) + std::to_string(prop.minor) +
               "; this build has code for sm_90 only)";
    return {};
}

// Device copies of host buffers for the single-kernel entry points.
class Scratch {
  public:
    template <typename T>
    T* in(const T* host, std::size_t n, DeviceError& e) {
        buffers_.emplace_back();
        if (!e)
            e = buffers_.back().upload(host, n * sizeof(T), "cudaMalloc/cudaMemcpy (test input)");
        return buffers_.back().as<T>();
    }
    template <typename T>
    T* out(std::size_t n, DeviceError& e) {
        buffers_.emplace_back();
        if (!e)
            e = buffers_.back().reserve(n * sizeof(T), "cudaMalloc (test output)");
        // Poisoned with all-ones bytes (NaN as floats, -1 as ints): an element a kernel fails to
        // write cannot pass for a result.
        if (!e)
            e = check(cudaMemset(buffers_.back().as<void>(), 0xFF, n * sizeof(T)),
                      "cudaMemset (poison)");
        return buffers_.back().as<T>();
    }

  private:
    std::vector<DeviceBuffer> buffers_;
};

DeviceError download(void* host, const void* device, std::size_t bytes) {
    PARLEY_CUDA_TRY(cudaDeviceSynchronize(), "kernel execution");
    return check(cudaMemcpy(host, device, bytes, cudaMemcpyDeviceToHost), "copy result to host");
}

#define PARLEY_REQUIRE_DEVICE(error, size)                         \
    do {                                                           \
        const std::string why_ = unusableDevice();                 \
        if (!why_.empty())                                         \
            return fail(PARLEY_CUDA_NO_DEVICE, why_, error, size); \
    } while (0)

int describeDevices(char* text, int size) {
    int count = 0;
    const cudaError_t status = cudaGetDeviceCount(&count);
    std::string out;
    if (status != cudaSuccess) {
        out = std::string("no usable device (") + cudaGetErrorString(status) + ")";
    } else {
        out = std::to_string(count) + " device(s)";
        for (int i = 0; i < count; ++i) {
            cudaDeviceProp prop{};
            if (cudaGetDeviceProperties(&prop, i) != cudaSuccess)
                continue;
            out += "; " + std::to_string(i) + ": " + prop.name + " sm_" +
                   std::to_string(prop.major) + std::to_string(prop.minor) + ", " +
                   std::to_string(prop.totalGlobalMem / (1024 * 1024)) + " MiB";
        }
        cublasHandle_t handle = nullptr;
        if (count > 0 && cublasCreate(&handle) == CUBLAS_STATUS_SUCCESS) {
            int version = 0;
            cublasGetVersion(handle, &version);
            cublasDestroy(handle);
            out += "; cuBLAS " + std::to_string(version);
        }
    }
    std::snprintf(text, std::size_t(size), "%s", out.c_str());
    return status == cudaSuccess && count > 0 ? PARLEY_CUDA_OK : PARLEY_CUDA_NO_DEVICE;
}

int createModel(const ParleyCudaModelDesc* desc, ParleyCudaModel** model, char* error, int size) {
    PARLEY_REQUIRE_DEVICE(error, size);
    auto handle = std::unique_ptr<ParleyCudaModel>(new (std::nothrow) ParleyCudaModel);
    if (!handle)
        return fail(PARLEY_CUDA_FAILED, "out of host memory", error, size);
    if (DeviceError e = DeviceModel::create(*desc, handle->model))
        return report(e, error, size);
    *model = handle.release();
    return PARLEY_CUDA_OK;
}

void destroyModel(ParleyCudaModel* model) {
    delete model;
}

int forward(ParleyCudaModel* model, const ParleyCudaSequence* batch, int32_t n, float* logits,
            int64_t capacity, char* error, int size) {
    return report(model->model->forward(batch, n, logits, capacity), error, size);
}

int forwardSample(ParleyCudaModel* model, const ParleyCudaSequence* batch, int32_t n,
                  const ParleySamplingDesc* sampling, int32_t* tokens, char* error, int size) {
    return report(model->model->forwardSample(batch, n, sampling, tokens), error, size);
}

int copyKvBlock(ParleyCudaModel* model, int32_t from, int32_t to, int32_t slots, char* error,
                int size) {
    return report(model->model->copyKvBlock(from, to, slots), error, size);
}

int matmulHost(const ParleyCudaWeight* w, const float* x, int32_t nTokens, float* y, char* error,
               int size) {
    PARLEY_REQUIRE_DEVICE(error, size);
    if (!weightTypeSupported(w->type, w->cols) || nTokens < 1)
        return fail(PARLEY_CUDA_INVALID, "unsupported weight type or empty batch", error, size);
    DeviceError e;
    Scratch s;
    const auto* wd = s.in(static_cast<const uint8_t*>(w->data),
                          std::size_t(w->rows) * std::size_t(w->rowBytes), e);
    const float* xd = s.in(x, std::size_t(nTokens) * w->cols, e);
    float* yd = s.out<float>(std::size_t(nTokens) * w->rows, e);
    const int64_t maxCols = w->cols;
    __half* xHalf = s.out<__half>(std::size_t(nTokens) * maxCols, e);
    const int64_t tileHalves = std::max<int64_t>(maxCols, int64_t(4) << 20);
    __half* tile = s.out<__half>(std::size_t(tileHalves), e);
    cublasHandle_t cublas = nullptr;
    if (!e)
        e = check(cublasCreate(&cublas), "cublasCreate");
    if (!e) {
        const DeviceWeight dw{w->type, wd, w->cols, w->rows, int64_t(w->rowBytes)};
        e = matmul(dw, xd, nTokens, yd, xHalf, tile, tileHalves, cublas, nullptr);
    }
    if (!e)
        e = download(y, yd, std::size_t(nTokens) * w->rows * sizeof(float));
    if (cublas != nullptr)
        cublasDestroy(cublas);
    return report(e, error, size);
}

int rmsNormHost(const float* x, const float* w, int32_t rows, int32_t n, float eps, float* out,
                char* error, int size) {
    PARLEY_REQUIRE_DEVICE(error, size);
    DeviceError e;
    Scratch s;
    float* xd = s.out<float>(std::size_t(rows) * n, e);
    if (!e)
        e = check(cudaMemcpy(xd, x, std::size_t(rows) * n * 4, cudaMemcpyHostToDevice), "copy x");
    const float* wd = s.in(w, std::size_t(n), e);
    float* od = s.out<float>(std::size_t(rows) * n, e);
    if (!e)
        e = rmsNorm(xd, nullptr, wd, rows, n, eps, od, nullptr);
    if (!e)
        e = download(out, od, std::size_t(rows) * n * sizeof(float));
    return report(e, error, size);
}

int ropeHost(float* x, int32_t nTokens, int32_t nHeads, int32_t headDim, int32_t nRot,
             const int32_t* positions, float thetaScale, int32_t style, char* error, int size) {
    PARLEY_REQUIRE_DEVICE(error, size);
    DeviceError e;
    Scratch s;
    const std::size_t n = std::size_t(nTokens) * nHeads * headDim;
    float* xd = s.in(x, n, e);
    const int32_t* pd = s.in(positions, std::size_t(nTokens), e);
    if (!e)
        e = rope(xd, nTokens, nHeads * headDim, nHeads, headDim, nRot, pd, thetaScale, style,
                 nullptr);
    if (!e)
        e = download(x, xd, n * sizeof(float));
    return report(e, error, size);
}

int gatedActivationHost(float* gate, const float* up, int64_t n, int32_t activation, char* error,
                        int size) {
    PARLEY_REQUIRE_DEVICE(error, size);
    DeviceError e;
    Scratch s;
    float* gd = s.in(gate, std::size_t(n), e);
    const float* ud = s.in(up, std::size_t(n), e);
    if (!e)
        e = gatedActivation(gd, ud, n, activation, nullptr);
    if (!e)
        e = download(gate, gd, std::size_t(n) * sizeof(float));
    return report(e, error, size);
}

// Contiguous K/V rows become a pool of one-slot-per-position blocks in reverse order, so the
// block-table indirection is exercised.
int attentionHost(const float* q, const uint16_t* k, const uint16_t* v, int32_t nTokens,
                  int32_t firstPosition, int32_t nHead, int32_t nHeadKv, int32_t headDim,
                  int32_t window, float queryScale, float scoreScale, float* out, char* error,
                  int size) {
    PARLEY_REQUIRE_DEVICE(error, size);
    constexpr int32_t kBlock = 16;
    const int32_t positions = firstPosition + nTokens;
    const int32_t nBlocks = (positions + kBlock - 1) / kBlock;
    const int32_t kvDim = nHeadKv * headDim;
    if (nTokens < 1 || firstPosition < 0 || kvDim < 1)
        return fail(PARLEY_CUDA_INVALID, "attention: empty batch or bad shape", error, size);
    const std::size_t poolHalves = std::size_t(nBlocks) * kBlock * std::size_t(kvDim);
    std::vector<uint16_t> kPool, vPool;
    kPool.resize(poolHalves);
    vPool.resize(poolHalves);
    std::vector<int32_t> table(nBlocks);
    for (int32_t b = 0; b < nBlocks; ++b)
        table[b] = nBlocks - 1 - b;
    for (int32_t p = 0; p < positions; ++p) {
        const std::size_t dst = (std::size_t(table[p / kBlock]) * kBlock + p % kBlock) * kvDim;
        std::copy_n(k + std::size_t(p) * kvDim, kvDim, kPool.begin() + dst);
        std::copy_n(v + std::size_t(p) * kvDim, kvDim, vPool.begin() + dst);
    }
    std::vector<int32_t> rowPositions(nTokens), offsets(nTokens, 0);
    for (int32_t t = 0; t < nTokens; ++t)
        rowPositions[t] = firstPosition + t;
    int32_t splits = 1;
    while (splits * kAttentionChunk < positions)
        splits *= 2;

    DeviceError e;
    Scratch s;
    const std::size_t qn = std::size_t(nTokens) * nHead * headDim;
    const float* qd = s.in(q, qn, e);
    const auto* kd = reinterpret_cast<const __half*>(s.in(kPool.data(), kPool.size(), e));
    const auto* vd = reinterpret_cast<const __half*>(s.in(vPool.data(), vPool.size(), e));
    const int32_t* posd = s.in(rowPositions.data(), rowPositions.size(), e);
    const int32_t* offd = s.in(offsets.data(), offsets.size(), e);
    const int32_t* tabd = s.in(table.data(), table.size(), e);
    // Several tokens take the prefill (tiled) kernel, as in the model; one takes split-K.
    std::vector<int32_t> tileFirst, tileCount;
    for (int32_t t = 0; t < nTokens; t += kPrefillTileRows) {
        tileFirst.push_back(t);
        tileCount.push_back(std::min(kPrefillTileRows, nTokens - t));
    }
    const int32_t* tileFirstd = s.in(tileFirst.data(), tileFirst.size(), e);
    const int32_t* tileCountd = s.in(tileCount.data(), tileCount.size(), e);
    float* partials = s.out<float>(std::size_t(nTokens) * nHead * splits * (headDim + 2), e);
    float* od = s.out<float>(qn, e);
    if (!e) {
        const BatchRows rows{posd, offd, tabd, nTokens};
        const PagedKv kv{const_cast<__half*>(kd), const_cast<__half*>(vd), kBlock, kvDim};
        const AttentionParams p{nHead, nHeadKv, headDim, window, queryScale, scoreScale};
        e = nTokens > 1 ? tiledAttention(qd, rows, tileFirstd, tileCountd,
                                         int32_t(tileFirst.size()), kv, p, od, nullptr)
                        : pagedAttention(qd, rows, kv, p, splits, partials, od, nullptr);
    }
    if (!e)
        e = download(out, od, qn * sizeof(float));
    return report(e, error, size);
}

int sampleHost(const float* logits, int32_t nVocab, const ParleySamplingDesc* p, int32_t* token,
               char* error, int size) {
    PARLEY_REQUIRE_DEVICE(error, size);
    DeviceError e;
    Scratch s;
    float* ld = s.in(logits, std::size_t(nVocab), e);
    const int32_t count = std::max(0, p->nRecent);
    const int32_t* rd = count > 0 ? s.in(p->recent, std::size_t(count), e) : nullptr;
    const int32_t* cd = s.in(&count, 1, e);
    int32_t* td = s.out<int32_t>(1, e);
    if (!e) {
        const DeviceSampling ds{
            p->temperature,      p->topK, p->topP, p->minP, p->repeatPenalty, p->presencePenalty,
            p->frequencyPenalty, rd,      cd,      count,   p->seed,          p->drawIndex};
        e = sampleRows(ld, 1, nVocab, ds, td, nullptr);
    }
    if (!e)
        e = download(token, td, sizeof(int32_t));
    return report(e, error, size);
}

int timeMatmulHost(const ParleyCudaWeight* w, int32_t nTokens, int32_t iterations,
                   float* milliseconds, char* error, int size) {
    PARLEY_REQUIRE_DEVICE(error, size);
    if (!weightTypeSupported(w->type, w->cols) || nTokens < 1 || iterations < 1)
        return fail(PARLEY_CUDA_INVALID, "unsupported weight type or empty run", error, size);
    constexpr std::size_t kBeyondL2 = std::size_t(256) << 20;
    const std::size_t bytes = std::size_t(w->rows) * std::size_t(w->rowBytes);
    const std::size_t copies = std::max<std::size_t>(1, (kBeyondL2 + bytes - 1) / bytes);
    DeviceError e;
    Scratch s;
    std::vector<const uint8_t*> weights;
    for (std::size_t c = 0; c < copies; ++c)
        weights.push_back(s.in(static_cast<const uint8_t*>(w->data), bytes, e));
    std::vector<float> x(std::size_t(nTokens) * w->cols, 0.5f);
    const float* xd = s.in(x.data(), x.size(), e);
    float* yd = s.out<float>(std::size_t(nTokens) * w->rows, e);
    __half* xHalf = s.out<__half>(x.size(), e);
    const int64_t tileHalves = std::max<int64_t>(w->cols, int64_t(32) << 20);
    __half* tile = s.out<__half>(std::size_t(tileHalves), e);
    cublasHandle_t cublas = nullptr;
    cudaEvent_t start = nullptr, stop = nullptr;
    if (!e)
        e = check(cublasCreate(&cublas), "cublasCreate");
    if (!e)
        e = check(cudaEventCreate(&start), "cudaEventCreate");
    if (!e)
        e = check(cudaEventCreate(&stop), "cudaEventCreate");
    auto run = [&](int32_t i) {
        const DeviceWeight dw{w->type, weights[std::size_t(i) % copies], w->cols, w->rows,
                              int64_t(w->rowBytes)};
        return matmul(dw, xd, nTokens, yd, xHalf, tile, tileHalves, cublas, nullptr);
    };
    for (int32_t i = 0; i < 3 && !e; ++i)
        e = run(i);
    if (!e)
        e = check(cudaEventRecord(start, nullptr), "cudaEventRecord");
    for (int32_t i = 0; i < iterations && !e; ++i)
        e = run(i);
    if (!e)
        e = check(cudaEventRecord(stop, nullptr), "cudaEventRecord");
    if (!e)
        e = check(cudaEventSynchronize(stop), "matmul timing");
    float total = 0.0f;
    if (!e)
        e = check(cudaEventElapsedTime(&total, start, stop), "cudaEventElapsedTime");
    if (!e)
        *milliseconds = total / float(iterations);
    if (start != nullptr)
        cudaEventDestroy(start);
    if (stop != nullptr)
        cudaEventDestroy(stop);
    if (cublas != nullptr)
        cublasDestroy(cublas);
    return report(e, error, size);
}

// Designated by field so a new entry cannot silently shift the others.
const ParleyCudaApi kApi = {
    .abiVersion = PARLEY_CUDA_ABI_VERSION,
    .describeDevices = describeDevices,
    .createModel = createModel,
    .destroyModel = destroyModel,
    .forward = forward,
    .forwardSample = forwardSample,
    .copyKvBlock = copyKvBlock,
    .matmul = matmulHost,
    .rmsNorm = rmsNormHost,
    .rope = ropeHost,
    .gatedActivation = gatedActivationHost,
    .attention = attentionHost,
    .sample = sampleHost,
    .timeMatmul = timeMatmulHost,
};

}  // namespace
}  // namespace parley::cuda

extern "C" __attribute__((visibility("default"))) const ParleyCudaApi* parley_cuda_api() {
    return &parley::cuda::kApi;
}
