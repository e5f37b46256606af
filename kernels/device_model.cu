#include "device_model.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace parley::cuda {
namespace {

constexpr int32_t kMaxDecodeRows = 64;
constexpr int64_t kPrefillTileHalves = int64_t(32) << 20;  // 64 MB of f16 weights per GEMM tile
constexpr std::size_t kAlign = 256;

std::size_t aligned(std::size_t n) {
    return (n + kAlign - 1) / kAlign * kAlign;
}

int32_t bucketFor(int32_t rows) {
    int32_t b = 1;
    while (b < rows)
        b *= 2;
    return b;
}

// Bytes of a weight as stored: rows * rowBytes.
std::size_t weightBytes(const ParleyCudaWeight& w) {
    return std::size_t(w.rows) * std::size_t(w.rowBytes);
}

}  // namespace

DeviceError DeviceModel::create(const ParleyCudaModelDesc& desc,
                                std::unique_ptr<DeviceModel>& out) {
    std::unique_ptr<DeviceModel> m(new DeviceModel());
    m->desc_ = desc;
    if (desc.nLayer <= 0 || desc.nHead <= 0 || desc.nHeadKv <= 0 || desc.nHead % desc.nHeadKv ||
        desc.headDim <= 0 || desc.headDim > 256 || desc.nRot > desc.headDim ||
        desc.maxBatchTokens <= 0 || desc.kvBlocks <= 0 || desc.kvBlockSize <= 0)
        return {"model shape not supported by the CUDA backend"};
    PARLEY_CUDA_TRY(cudaStreamCreateWithFlags(&m->stream_, cudaStreamNonBlocking),
                    "cudaStreamCreate");
    PARLEY_CUDA_TRY(cublasCreate(&m->cublas_), "cublasCreate");
    if (DeviceError e = m->upload(desc))
        return e;
    if (DeviceError e = m->allocate())
        return e;
    out = std::move(m);
    return {};
}

DeviceModel::~DeviceModel() {
    dropGraphs();
    if (cublas_ != nullptr)
        cublasDestroy(cublas_);
    if (stream_ != nullptr)
        cudaStreamDestroy(stream_);
}

void DeviceModel::dropGraphs() {
    for (auto& [key, graph] : graphs_)
        cudaGraphExecDestroy(graph.exec);
    graphs_.clear();
}

DeviceError DeviceModel::upload(const ParleyCudaModelDesc& desc) {
    // One allocation for every weight and norm vector; offsets first, then the copies.
    struct Piece {
        const void* host;
        std::size_t bytes;
        std::size_t offset;
    };
    std::vector<Piece> pieces;
    std::size_t total = 0;
    auto add = [&](const void* host, std::size_t bytes) {
        pieces.push_back({host, bytes, total});
        total += aligned(bytes);
        return pieces.size() - 1;
    };
    const auto E = std::size_t(desc.nEmbd), hd = std::size_t(desc.headDim);
    auto addVector = [&](const float* v, std::size_t n) -> long {
        return v == nullptr ? -1 : long(add(v, n * sizeof(float)));
    };
    struct LayerPieces {
        long attnNorm, qNorm, kNorm, postAttnNorm, ffnNorm, postFfnNorm, bq, bk, bv, bo;
        std::size_t wq, wk, wv, wo, gate, up, down;
    };
    std::vector<LayerPieces> lp(desc.nLayer);
    const std::size_t qDim = std::size_t(desc.nHead) * hd, kvDim = std::size_t(desc.nHeadKv) * hd;
    for (int32_t il = 0; il < desc.nLayer; ++il) {
        const ParleyCudaLayer& L = desc.layers[il];
        for (const ParleyCudaWeight* w :
             {&L.wq, &L.wk, &L.wv, &L.wo, &L.ffnGate, &L.ffnUp, &L.ffnDown}) {
            if (!weightTypeSupported(w->type, w->cols))
                return {"layer " + std::to_string(il) + ": weight type " + std::to_string(w->type) +
                        " not supported by the CUDA backend"};
        }
        lp[il] = {addVector(L.attnNorm, E),
                  addVector(L.qNorm, hd),
                  addVector(L.kNorm, hd),
                  addVector(L.postAttnNorm, E),
                  addVector(L.ffnNorm, E),
                  addVector(L.postFfnNorm, E),
                  addVector(L.bq, qDim),
                  addVector(L.bk, kvDim),
                  addVector(L.bv, kvDim),
                  addVector(L.bo, E),
                  add(L.wq.data, weightBytes(L.wq)),
                  add(L.wk.data, weightBytes(L.wk)),
                  add(L.wv.data, weightBytes(L.wv)),
                  add(L.wo.data, weightBytes(L.wo)),
                  add(L.ffnGate.data, weightBytes(L.ffnGate)),
                  add(L.ffnUp.data, weightBytes(L.ffnUp)),
                  add(L.ffnDown.data, weightBytes(L.ffnDown))};
    }
    for (const ParleyCudaWeight* w : {&desc.tokenEmbedding, &desc.output}) {
        if (!weightTypeSupported(w->type, w->cols))
            return {"weight type " + std::to_string(w->type) +
                    " of the embedding or output not supported by the CUDA backend"};
    }
    const std::size_t embedding = add(desc.tokenEmbedding.data, weightBytes(desc.tokenEmbedding));
    const bool tied = desc.output.data == desc.tokenEmbedding.data;
    const std::size_t output = tied ? embedding : add(desc.output.data, weightBytes(desc.output));
    const std::size_t outputNorm = add(desc.outputNorm, E * sizeof(float));

    if (DeviceError e = weights_.reserve(total, "cudaMalloc (weights)"))
        return e;
    uint8_t* base = weights_.as<uint8_t>();
    for (const Piece& p : pieces) {
        PARLEY_CUDA_TRY(cudaMemcpy(base + p.offset, p.host, p.bytes, cudaMemcpyHostToDevice),
                        "cudaMemcpy (weights)");
    }
    auto vec = [&](long i) -> const float* {
        return i < 0 ? nullptr : reinterpret_cast<const float*>(base + pieces[i].offset);
    };
    auto mat = [&](const ParleyCudaWeight& w, std::size_t i) {
        return DeviceWeight{w.type, base + pieces[i].offset, w.cols, w.rows, int64_t(w.rowBytes)};
    };
    layers_.resize(desc.nLayer);
    for (int32_t il = 0; il < desc.nLayer; ++il) {
        const ParleyCudaLayer& L = desc.layers[il];
        const LayerPieces& p = lp[il];
        layers_[il] = {vec(p.attnNorm),
                       vec(p.qNorm),
                       vec(p.kNorm),
                       vec(p.postAttnNorm),
                       vec(p.ffnNorm),
                       vec(p.postFfnNorm),
                       vec(p.bq),
                       vec(p.bk),
                       vec(p.bv),
                       vec(p.bo),
                       mat(L.wq, p.wq),
                       mat(L.wk, p.wk),
                       mat(L.wv, p.wv),
                       mat(L.wo, p.wo),
                       mat(L.ffnGate, p.gate),
                       mat(L.ffnUp, p.up),
                       mat(L.ffnDown, p.down),
                       L.isSwa != 0};
    }
    tokenEmbedding_ = mat(desc.tokenEmbedding, embedding);
    output_ = mat(desc.output, output);
    outputNorm_ = vec(long(outputNorm));
    return {};
}

DeviceError DeviceModel::allocate() {
    const ParleyCudaModelDesc& d = desc_;
    const int64_t T = d.maxBatchTokens, E = d.nEmbd, qDim = int64_t(d.nHead) * d.headDim,
                  kvDim = int64_t(d.nHeadKv) * d.headDim;
    const int64_t kvHalves = int64_t(d.nLayer) * d.kvBlocks * d.kvBlockSize * kvDim;
    if (DeviceError e = keys_.reserve(kvHalves * sizeof(__half), "cudaMalloc (KV pool keys)"))
        return e;
    if (DeviceError e = values_.reserve(kvHalves * sizeof(__half), "cudaMalloc (KV pool values)"))
        return e;
    const int64_t maxCols = std::max({E, qDim, int64_t(d.nFf)});
    tileHalves_ = std::max(kPrefillTileHalves, maxCols);
    const struct {
        DeviceBuffer* buffer;
        int64_t bytes;
        const char* what;
    } buffers[] = {
        {&x_, T * E * 4, "cudaMalloc (x)"},
        {&xn_, T * std::max(E, qDim) * 4, "cudaMalloc (xn)"},
        {&q_, T * qDim * 4, "cudaMalloc (q)"},
        {&k_, T * kvDim * 4, "cudaMalloc (k)"},
        {&v_, T * kvDim * 4, "cudaMalloc (v)"},
        {&attn_, T * qDim * 4, "cudaMalloc (attention output)"},
        {&proj_, T * E * 4, "cudaMalloc (projection)"},
        {&gate_, T * d.nFf * 4, "cudaMalloc (gate)"},
        {&up_, T * d.nFf * 4, "cudaMalloc (up)"},
        {&logits_, T * d.nVocab * 4, "cudaMalloc (logits)"},
        {&xHalf_, T * maxCols * 2, "cudaMalloc (f16 activations)"},
        {&tile_, tileHalves_ * 2, "cudaMalloc (f16 weight tile)"},
        {&tokens_, T * 4, "cudaMalloc (tokens)"},
        {&positions_, T * 4, "cudaMalloc (positions)"},
        {&tableOffsets_, T * 4, "cudaMalloc (table offsets)"},
        {&logitSource_, T * 4, "cudaMalloc (logit rows)"},
        {&sampled_, T * 4, "cudaMalloc (sampled tokens)"},
        {&tileFirstRows_, T * 4, "cudaMalloc (attention tiles)"},
        {&tileCounts_, T * 4, "cudaMalloc (attention tile sizes)"},
    };
    for (const auto& b : buffers) {
        if (DeviceError e = b.buffer->reserve(std::size_t(b.bytes), b.what))
            return e;
    }
    return {};
}

DeviceError DeviceModel::prepare(const ParleyCudaSequence* batch, int32_t n, bool allowGraph) {
    const ParleyCudaModelDesc& d = desc_;
    hostTokens_.clear();
    hostPositions_.clear();
    hostTableOffsets_.clear();
    hostBlockTables_.clear();
    hostLogitSource_.clear();
    hostTileFirstRows_.clear();
    hostTileCounts_.clear();
    bool decodeOnly = n <= kMaxDecodeRows;
    int32_t longest = 1;
    for (int32_t s = 0; s < n; ++s) {
        const ParleyCudaSequence& seq = batch[s];
        const int64_t end = int64_t(seq.startPosition) + seq.nTokens;
        if (seq.startPosition < 0 || seq.nTokens < 0 || int64_t(seq.nBlocks) * d.kvBlockSize < end)
            return {"batch entry " + std::to_string(s) + ": block table of " +
                    std::to_string(seq.nBlocks) + " blocks does not cover " + std::to_string(end) +
                    " positions"};
        const int32_t offset = int32_t(hostBlockTables_.size());
        for (int32_t b = 0; b < seq.nBlocks; ++b) {
            if (seq.blockTable[b] < 0 || seq.blockTable[b] >= d.kvBlocks)
                return {"batch entry " + std::to_string(s) + ": block id " +
                        std::to_string(seq.blockTable[b]) + " out of range"};
            hostBlockTables_.push_back(seq.blockTable[b]);
        }
        const int32_t first = int32_t(hostTokens_.size());
        for (int32_t i = 0; i < seq.nTokens; ++i) {
            if (seq.tokens[i] < 0 || seq.tokens[i] >= d.nVocab)
                return {"token id " + std::to_string(seq.tokens[i]) + " outside the vocabulary"};
            hostTokens_.push_back(seq.tokens[i]);
            hostPositions_.push_back(seq.startPosition + i);
            hostTableOffsets_.push_back(offset);
        }
        for (int32_t t = 0; t < seq.nTokens; t += kPrefillTileRows) {
            hostTileFirstRows_.push_back(first + t);
            hostTileCounts_.push_back(std::min(kPrefillTileRows, seq.nTokens - t));
        }
        decodeOnly = decodeOnly && seq.nTokens == 1 && seq.logits == PARLEY_LOGITS_LAST;
        longest = std::max(longest, int32_t(end));
        if (seq.nTokens == 0 || seq.logits == PARLEY_LOGITS_NONE)
            continue;
        const int32_t from = seq.logits == PARLEY_LOGITS_ALL ? first : first + seq.nTokens - 1;
        for (int32_t r = from; r < first + seq.nTokens; ++r)
            hostLogitSource_.push_back(r);
    }
    realRows_ = int32_t(hostTokens_.size());
    if (realRows_ > d.maxBatchTokens)
        return {"batch of " + std::to_string(realRows_) + " tokens exceeds the " +
                std::to_string(d.maxBatchTokens) + " the device buffers hold"};
    // One split count for every layer: sliding-window layers leave the splits past their window
    // empty, which costs one idle block each.
    maxSplits_ = bucketFor((longest + kAttentionChunk - 1) / kAttentionChunk);

    graphable_ = allowGraph && decodeOnly && realRows_ > 0;
    prefillTiles_ = realRows_ > n;
    rows_ = realRows_;
    if (graphable_) {
        rows_ = std::min(bucketFor(realRows_), d.maxBatchTokens);
        for (int32_t r = realRows_; r < rows_; ++r) {
            hostTokens_.push_back(0);
            hostPositions_.push_back(-1);
            hostTableOffsets_.push_back(0);
            hostLogitSource_.push_back(r);
        }
    }
    logitRows_ = int32_t(hostLogitSource_.size());
    if (hostBlockTables_.empty())
        hostBlockTables_.push_back(0);

    const std::size_t tableBytes = hostBlockTables_.size() * sizeof(int32_t);
    if (tableBytes > blockTables_.bytes()) {
        dropGraphs();  // captured graphs point at the old buffer
        if (DeviceError e = blockTables_.reserve(tableBytes * 2, "cudaMalloc (block tables)"))
            return e;
    }
    const std::size_t partialBytes =
        std::size_t(rows_) * d.nHead * maxSplits_ * (d.headDim + 2) * sizeof(float);
    if (!prefillTiles_ && partialBytes > partials_.bytes()) {
        dropGraphs();
        if (DeviceError e = partials_.reserve(partialBytes, "cudaMalloc (attention partials)"))
            return e;
    }
    const std::size_t rowBytes = std::size_t(rows_) * sizeof(int32_t);
    PARLEY_CUDA_TRY(cudaMemcpyAsync(tokens_.as<void>(), hostTokens_.data(), rowBytes,
                                    cudaMemcpyHostToDevice, stream_),
                    "copy tokens to device");
    PARLEY_CUDA_TRY(cudaMemcpyAsync(positions_.as<void>(), hostPositions_.data(), rowBytes,
                                    cudaMemcpyHostToDevice, stream_),
                    "copy positions to device");
    PARLEY_CUDA_TRY(cudaMemcpyAsync(tableOffsets_.as<void>(), hostTableOffsets_.data(), rowBytes,
                                    cudaMemcpyHostToDevice, stream_),
                    "copy table offsets to device");
    PARLEY_CUDA_TRY(cudaMemcpyAsync(blockTables_.as<void>(), hostBlockTables_.data(), tableBytes,
                                    cudaMemcpyHostToDevice, stream_),
                    "copy block tables to device");
    PARLEY_CUDA_TRY(
        cudaMemcpyAsync(logitSource_.as<void>(), hostLogitSource_.data(),
                        hostLogitSource_.size() * sizeof(int32_t), cudaMemcpyHostToDevice, stream_),
        "copy logit rows to device");
    return {};
}

DeviceError DeviceModel::enqueueForward() {
    const ParleyCudaModelDesc& d = desc_;
    const int32_t T = rows_, E = d.nEmbd, hd = d.headDim;
    const int32_t qDim = d.nHead * hd, kvDim = d.nHeadKv * hd;
    float *x = x_.as<float>(), *xn = xn_.as<float>(), *q = q_.as<float>(), *k = k_.as<float>(),
          *v = v_.as<float>(), *attn = attn_.as<float>(), *proj = proj_.as<float>(),
          *gate = gate_.as<float>(), *up = up_.as<float>();
    __half *xHalf = xHalf_.as<__half>(), *tile = tile_.as<__half>();
    auto mm = [&](const DeviceWeight& w, const float* in, int32_t rows, float* out) {
        return matmul(w, in, rows, out, xHalf, tile, tileHalves_, cublas_, stream_);
    };
    const BatchRows rows{positions_.as<int32_t>(), tableOffsets_.as<int32_t>(),
                         blockTables_.as<int32_t>(), T};
    const int64_t layerHalves = int64_t(d.kvBlocks) * d.kvBlockSize * kvDim;

#define PARLEY_STEP(call)            \
    do {                             \
        if (DeviceError e_ = (call)) \
            return e_;               \
    } while (0)

    PARLEY_STEP(embed(tokenEmbedding_, tokens_.as<int32_t>(), T, x, stream_));
    if (d.scaleEmbeddings)
        PARLEY_STEP(scale(x, std::sqrt(float(E)), int64_t(T) * E, stream_));
    for (int32_t il = 0; il < d.nLayer; ++il) {
        const DeviceLayer& L = layers_[il];
        if (il == 0)
            PARLEY_STEP(rmsNorm(x, nullptr, L.attnNorm, T, E, d.rmsEps, xn, stream_));
        PARLEY_STEP(mm(L.wq, xn, T, q));
        PARLEY_STEP(mm(L.wk, xn, T, k));
        PARLEY_STEP(mm(L.wv, xn, T, v));
        if (L.bq != nullptr)
            PARLEY_STEP(addRows(q, L.bq, T, qDim, true, stream_));
        if (L.bk != nullptr)
            PARLEY_STEP(addRows(k, L.bk, T, kvDim, true, stream_));
        if (L.bv != nullptr)
            PARLEY_STEP(addRows(v, L.bv, T, kvDim, true, stream_));
        if (d.qkNorm) {
            PARLEY_STEP(rmsNorm(q, nullptr, L.qNorm, T * d.nHead, hd, d.rmsEps, q, stream_));
            PARLEY_STEP(rmsNorm(k, nullptr, L.kNorm, T * d.nHeadKv, hd, d.rmsEps, k, stream_));
        }
        const float theta = L.isSwa ? d.ropeThetaScaleSwa : d.ropeThetaScale;
        PARLEY_STEP(
            rope(q, T, qDim, d.nHead, hd, d.nRot, rows.positions, theta, d.ropeStyle, stream_));
        PARLEY_STEP(
            rope(k, T, kvDim, d.nHeadKv, hd, d.nRot, rows.positions, theta, d.ropeStyle, stream_));
        const PagedKv kv{keys_.as<__half>() + il * layerHalves,
                         values_.as<__half>() + il * layerHalves, d.kvBlockSize, kvDim};
        PARLEY_STEP(storeKv(k, v, rows, kv, stream_));
        const AttentionParams ap{d.nHead,      d.nHeadKv,   hd, L.isSwa ? d.slidingWindow : 0,
                                 d.queryScale, d.scoreScale};
        if (prefillTiles_)
            PARLEY_STEP(tiledAttention(q, rows, tileFirstRows_.as<int32_t>(),
                                       tileCounts_.as<int32_t>(), int32_t(hostTileCounts_.size()),
                                       kv, ap, attn, stream_));
        else
            PARLEY_STEP(
                pagedAttention(q, rows, kv, ap, maxSplits_, partials_.as<float>(), attn, stream_));
        PARLEY_STEP(mm(L.wo, attn, T, proj));
        if (L.bo != nullptr)
            PARLEY_STEP(addRows(proj, L.bo, T, E, true, stream_));
        if (d.postNorms)
            PARLEY_STEP(rmsNorm(proj, nullptr, L.postAttnNorm, T, E, d.rmsEps, proj, stream_));
        // x += attention output, then the FFN's norm of the sum, in one pass.
        PARLEY_STEP(rmsNorm(x, proj, L.ffnNorm, T, E, d.rmsEps, xn, stream_));
        PARLEY_STEP(mm(L.ffnGate, xn, T, gate));
        PARLEY_STEP(mm(L.ffnUp, xn, T, up));
        PARLEY_STEP(gatedActivation(gate, up, int64_t(T) * d.nFf, d.activation, stream_));
        PARLEY_STEP(mm(L.ffnDown, gate, T, proj));
        if (d.postNorms)
            PARLEY_STEP(rmsNorm(proj, nullptr, L.postFfnNorm, T, E, d.rmsEps, proj, stream_));
        // x += FFN output, then the next layer's attention norm.
        if (il + 1 < d.nLayer)
            PARLEY_STEP(rmsNorm(x, proj, layers_[il + 1].attnNorm, T, E, d.rmsEps, xn, stream_));
        else
            PARLEY_STEP(addRows(x, proj, T, E, false, stream_));
    }
    if (logitRows_ == 0)
        return {};
    PARLEY_STEP(gatherRows(x, logitSource_.as<int32_t>(), logitRows_, E, proj, stream_));
    PARLEY_STEP(rmsNorm(proj, nullptr, outputNorm_, logitRows_, E, d.rmsEps, xn, stream_));
    PARLEY_STEP(mm(output_, xn, logitRows_, logits_.as<float>()));
#undef PARLEY_STEP
    return {};
}

DeviceError DeviceModel::runForward() {
    if (!graphable_)
        return enqueueForward();
    const std::pair<int32_t, int32_t> key{rows_, maxSplits_};
    auto it = graphs_.find(key);
    if (it == graphs_.end()) {
        cudaGraph_t graph = nullptr;
        PARLEY_CUDA_TRY(cudaStreamBeginCapture(stream_, cudaStreamCaptureModeThreadLocal),
                        "cudaStreamBeginCapture");
        const DeviceError captured = enqueueForward();
        const cudaError_t ended = cudaStreamEndCapture(stream_, &graph);
        if (captured) {
            if (graph != nullptr)
                cudaGraphDestroy(graph);
            return captured;
        }
        PARLEY_CUDA_TRY(ended, "cudaStreamEndCapture");
        Graph g;
        const cudaError_t made = cudaGraphInstantiate(&g.exec, graph, 0);
        cudaGraphDestroy(graph);
        PARLEY_CUDA_TRY(made, "cudaGraphInstantiate (decode step)");
        it = graphs_.emplace(key, g).first;
    }
    return check(cudaGraphLaunch(it->second.exec, stream_), "cudaGraphLaunch (decode step)");
}

DeviceError DeviceModel::forward(const ParleyCudaSequence* batch, int32_t n, float* hostLogits,
                                 int64_t capacity) {
    if (DeviceError e = prepare(batch, n, true))
        return e;
    const int64_t realLogitRows = int64_t(graphable_ ? realRows_ : logitRows_);
    if (realLogitRows * desc_.nVocab > capacity)
        return {"logits buffer holds " + std::to_string(capacity) + " floats, the batch needs " +
                std::to_string(realLogitRows * desc_.nVocab)};
    if (realRows_ == 0)
        return {};
    if (DeviceError e = runForward())
        return e;
    PARLEY_CUDA_TRY(cudaMemcpyAsync(hostLogits, logits_.as<float>(),
                                    std::size_t(realLogitRows) * desc_.nVocab * sizeof(float),
                                    cudaMemcpyDeviceToHost, stream_),
                    "copy logits to host");
    return check(cudaStreamSynchronize(stream_), "forward pass");
}

DeviceError DeviceModel::forwardSample(const ParleyCudaSequence* batch, int32_t n,
                                       const ParleySamplingDesc* sampling, int32_t* tokens) {
    for (int32_t s = 0; s < n; ++s) {
        if (batch[s].nTokens < 1 || batch[s].logits != PARLEY_LOGITS_LAST)
            return {"sampling needs the last logits of every batch entry (entry " +
                    std::to_string(s) + ")"};
    }
    if (DeviceError e = prepare(batch, n, true))
        return e;
    if (DeviceError e = runForward())
        return e;
    int32_t stride = 1;
    for (int32_t s = 0; s < n; ++s)
        stride = std::max(stride, sampling[s].nRecent);
    std::vector<int32_t> recent(std::size_t(n) * stride, 0), counts(n, 0);
    for (int32_t s = 0; s < n; ++s) {
        counts[s] = std::max(0, sampling[s].nRecent);
        std::copy_n(sampling[s].recent, counts[s], recent.begin() + std::size_t(s) * stride);
    }
    if (DeviceError e = recent_.reserve(recent.size() * 4, "cudaMalloc (penalty windows)"))
        return e;
    if (DeviceError e = recentCounts_.reserve(counts.size() * 4, "cudaMalloc (penalty counts)"))
        return e;
    PARLEY_CUDA_TRY(cudaMemcpyAsync(recent_.as<void>(), recent.data(), recent.size() * 4,
                                    cudaMemcpyHostToDevice, stream_),
                    "copy penalty windows to device");
    PARLEY_CUDA_TRY(cudaMemcpyAsync(recentCounts_.as<void>(), counts.data(), counts.size() * 4,
                                    cudaMemcpyHostToDevice, stream_),
                    "copy penalty counts to device");
    for (int32_t s = 0; s < n; ++s) {
        const ParleySamplingDesc& p = sampling[s];
        const DeviceSampling ds{p.temperature,
                                p.topK,
                                p.topP,
                                p.minP,
                                p.repeatPenalty,
                                p.presencePenalty,
                                p.frequencyPenalty,
                                recent_.as<int32_t>() + std::size_t(s) * stride,
                                recentCounts_.as<int32_t>() + s,
                                stride,
                                p.seed,
                                p.drawIndex};
        if (DeviceError e = sampleRows(logits_.as<float>() + int64_t(s) * desc_.nVocab, 1,
                                       desc_.nVocab, ds, sampled_.as<int32_t>() + s, stream_))
            return e;
    }
    PARLEY_CUDA_TRY(cudaMemcpyAsync(tokens, sampled_.as<void>(), std::size_t(n) * 4,
                                    cudaMemcpyDeviceToHost, stream_),
                    "copy sampled tokens to host");
    return check(cudaStreamSynchronize(stream_), "forward pass with sampling");
}

DeviceError DeviceModel::copyKvBlock(int32_t from, int32_t to, int32_t slots) {
    const ParleyCudaModelDesc& d = desc_;
    if (from < 0 || to < 0 || from >= d.kvBlocks || to >= d.kvBlocks || slots < 0 ||
        slots > d.kvBlockSize)
        return {"KV block copy " + std::to_string(from) + " -> " + std::to_string(to) +
                " out of range"};
    const int64_t kvDim = int64_t(d.nHeadKv) * d.headDim;
    const int64_t layerHalves = int64_t(d.kvBlocks) * d.kvBlockSize * kvDim;
    const std::size_t bytes = std::size_t(slots) * kvDim * sizeof(__half);
    for (int32_t il = 0; il < d.nLayer; ++il) {
        for (DeviceBuffer* pool : {&keys_, &values_}) {
            __half* base = pool->as<__half>() + il * layerHalves;
            PARLEY_CUDA_TRY(cudaMemcpyAsync(base + int64_t(to) * d.kvBlockSize * kvDim,
                                            base + int64_t(from) * d.kvBlockSize * kvDim, bytes,
                                            cudaMemcpyDeviceToDevice, stream_),
                            "copy KV block");
        }
    }
    return check(cudaStreamSynchronize(stream_), "copy KV block");
}

}  // namespace parley::cuda
