/* The C interface between engine/inference and the CUDA plug-in (kernels/, libparley_cuda.so).
 *
 * The host finds one symbol with dlsym, parley_cuda_api, and calls everything else through the
 * table it returns. Plain C types only, so the two sides share no C++ ABI (standard library,
 * exceptions) and the plug-in can be built by nvcc with another C++ standard. Every call that can
 * fail returns 0 on success or a non-zero code with a message written into the caller's buffer. */
#ifndef PARLEY_CUDA_PLUGIN_ABI_H
#define PARLEY_CUDA_PLUGIN_ABI_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Raised whenever a struct or call below changes meaning; the host refuses other versions. */
#define PARLEY_CUDA_ABI_VERSION 1

enum ParleyCudaStatus {
    PARLEY_CUDA_OK = 0,
    PARLEY_CUDA_NO_DEVICE = 1, /* no driver, no device, or none of a supported architecture */
    PARLEY_CUDA_INVALID = 2,   /* arguments the plug-in cannot run (unsupported type, sizes) */
    PARLEY_CUDA_FAILED = 3     /* a CUDA or cuBLAS call failed; the message names it */
};

/* A 2-D weight as stored in GGUF: `rows` rows of `cols` elements of ggml type `type`. */
typedef struct ParleyCudaWeight {
    uint32_t type;
    const void* data;
    int64_t cols;
    int64_t rows;
    uint64_t rowBytes;
} ParleyCudaWeight;

/* Small f32 vectors (norm weights, biases): null when the model has none. */
typedef struct ParleyCudaLayer {
    const float *attnNorm, *qNorm, *kNorm, *postAttnNorm, *ffnNorm, *postFfnNorm;
    const float *bq, *bk, *bv, *bo;
    ParleyCudaWeight wq, wk, wv, wo, ffnGate, ffnUp, ffnDown;
    int32_t isSwa; /* attends only to the last slidingWindow positions */
} ParleyCudaLayer;

enum ParleyCudaRopeStyle { PARLEY_ROPE_INTERLEAVED = 0, PARLEY_ROPE_HALF_SPLIT = 1 };
enum ParleyCudaActivation { PARLEY_ACT_SILU = 0, PARLEY_ACT_GELU_TANH = 1 };

typedef struct ParleyCudaModelDesc {
    int32_t nLayer, nEmbd, nHead, nHeadKv, headDim, nRot, nFf, nVocab;
    float rmsEps;
    float ropeThetaScale, ropeThetaScaleSwa; /* base^(-2/nRot) of global and local layers */
    float queryScale, scoreScale;            /* as the CPU attention applies them */
    int32_t slidingWindow;
    int32_t ropeStyle, activation;
    int32_t qkNorm, postNorms, scaleEmbeddings;
    ParleyCudaWeight tokenEmbedding, output;
    const float* outputNorm;
    const ParleyCudaLayer* layers; /* nLayer entries */
    int32_t kvBlocks, kvBlockSize; /* the device KV pool: same layout as model::KvPool */
    int32_t maxBatchTokens;        /* most tokens one forward call may carry */
} ParleyCudaModelDesc;

enum ParleyCudaLogits { PARLEY_LOGITS_NONE = 0, PARLEY_LOGITS_LAST = 1, PARLEY_LOGITS_ALL = 2 };

/* One batch entry, as model::SequenceStep. */
typedef struct ParleyCudaSequence {
    const int32_t* tokens;
    int32_t nTokens;
    int32_t startPosition;
    const int32_t* blockTable;
    int32_t nBlocks;
    int32_t logits;
} ParleyCudaSequence;

/* Sampling of one logits row, the CPU sampler's chain (penalties, top-k, top-p, min-p,
 * temperature, draw); temperature <= 0 is greedy. */
typedef struct ParleySamplingDesc {
    float temperature;
    int32_t topK;
    float topP, minP;
    float repeatPenalty, presencePenalty, frequencyPenalty;
    const int32_t* recent; /* the penalty window's tokens */
    int32_t nRecent;
    uint64_t seed;
    uint64_t drawIndex; /* which draw of the seed's stream this is */
} ParleySamplingDesc;

typedef struct ParleyCudaModel ParleyCudaModel;

typedef struct ParleyCudaApi {
    uint32_t abiVersion;

    /* A one-line description of the devices, or why none can be used. */
    int (*describeDevices)(char* text, int textSize);

    /* Uploads the weights (read from host memory, e.g. the mmap) and allocates the KV pool. */
    int (*createModel)(const ParleyCudaModelDesc* desc, ParleyCudaModel** model, char* error,
                       int errorSize);
    void (*destroyModel)(ParleyCudaModel* model);
    /* The forward pass; logits rows in the order model::Model::forward gives them. */
    int (*forward)(ParleyCudaModel* model, const ParleyCudaSequence* batch, int32_t nSequences,
                   float* logits, int64_t logitsCapacity, char* error, int errorSize);
    /* The forward pass with one token sampled per sequence on the device (each sequence must ask
     * for its last logits): only the token ids come back. */
    int (*forwardSample)(ParleyCudaModel* model, const ParleyCudaSequence* batch,
                         int32_t nSequences, const ParleySamplingDesc* sampling, int32_t* tokens,
                         char* error, int errorSize);
    /* Copies the KV pool's block `from` (its first `slots` slots) into block `to`. */
    int (*copyKvBlock)(ParleyCudaModel* model, int32_t from, int32_t to, int32_t slots, char* error,
                       int errorSize);

    /* Single kernels on host buffers, for the tests that compare them with the CPU reference. */
    int (*matmul)(const ParleyCudaWeight* weight, const float* x, int32_t nTokens, float* y,
                  char* error, int errorSize);
    int (*rmsNorm)(const float* x, const float* w, int32_t rows, int32_t n, float eps, float* out,
                   char* error, int errorSize);
    int (*rope)(float* x, int32_t nTokens, int32_t nHeads, int32_t headDim, int32_t nRot,
                const int32_t* positions, float thetaScale, int32_t style, char* error,
                int errorSize);
    int (*gatedActivation)(float* gate, const float* up, int64_t n, int32_t activation, char* error,
                           int errorSize);
    /* Attention of nTokens new tokens of one sequence at positions firstPosition... over
     * contiguous f16 K and V rows of positions [0, firstPosition + nTokens). */
    int (*attention)(const float* q, const uint16_t* k, const uint16_t* v, int32_t nTokens,
                     int32_t firstPosition, int32_t nHead, int32_t nHeadKv, int32_t headDim,
                     int32_t window, float queryScale, float scoreScale, float* out, char* error,
                     int errorSize);
    int (*sample)(const float* logits, int32_t nVocab, const ParleySamplingDesc* sampling,
                  int32_t* token, char* error, int errorSize);

    /* Benchmark of the matmul kernel: the weight is uploaded in enough copies to defeat the L2
     * cache, then `iterations` products (rotating over the copies) are timed with device events.
     * Writes the mean milliseconds of one product. */
    int (*timeMatmul)(const ParleyCudaWeight* weight, int32_t nTokens, int32_t iterations,
                      float* milliseconds, char* error, int errorSize);
} ParleyCudaApi;

/* The one symbol the host looks up. */
typedef const ParleyCudaApi* (*ParleyCudaApiEntry)(void);
#define PARLEY_CUDA_API_SYMBOL "parley_cuda_api"

#ifdef __cplusplus
}
#endif

#endif
