// LibTorch models of the two backbones. Private to core: only core's .cpp files include this
// header (it pulls in torch, which clashes with Qt's keyword macros).
#pragma once

#include "archconfig.h"
#include "measurement.h"

#include <torch/torch.h>

#include <memory>

namespace lts::torchmodels {

// How new weights are filled. The profiler leaves them uninitialised: the time of dense kernels
// does not depend on the values once denormals are flushed to zero, and initialising a
// 100M-parameter model costs a tenth of its measurement. Tests and inspection use random values.
enum class Init { Random, None };

// Sets how the modules created on this thread during its lifetime are initialised.
class InitScope final {
public:
    explicit InitScope(Init init);
    ~InitScope();
    InitScope(const InitScope&) = delete;
    InitScope& operator=(const InitScope&) = delete;

private:
    Init m_previous;
};

// A linear layer and an embedding table whose weights follow the Init of buildModel().
class LinearImpl : public torch::nn::Module {
public:
    LinearImpl(std::int64_t in, std::int64_t out, bool bias = true);
    torch::Tensor forward(const torch::Tensor& x);
    // Dynamic int8 quantisation: the weights become int8 (symmetric, per output channel), packed
    // for the selected quantised engine; forward() quantises its input at each call. The float
    // weights are released.
    void quantizeInt8();

    torch::Tensor weight, bias;
    c10::IValue packed; // the packed int8 weights once quantised
};
TORCH_MODULE(Linear);

class EmbeddingImpl : public torch::nn::Module {
public:
    EmbeddingImpl(std::int64_t count, std::int64_t dim);
    torch::Tensor forward(const torch::Tensor& ids);

    torch::Tensor weight;
};
TORCH_MODULE(Embedding);

// Token embedding: a plain table (div_val 1, projected when d_embed != d_model) or an adaptive
// input embedding with one table and projection per cluster.
class AdaptiveEmbeddingImpl : public torch::nn::Module {
public:
    explicit AdaptiveEmbeddingImpl(const ArchConfig& a);
    torch::Tensor forward(const torch::Tensor& ids);

    std::vector<std::int64_t> bounds; // 0, cutoffs..., vocab
    torch::nn::ModuleList tables;
    std::vector<torch::Tensor> projs; // [d_model, width]; empty tensor where none
    int divVal = 1;
    int dModel = 0;
    double scale = 1.0;
};
TORCH_MODULE(AdaptiveEmbedding);

// Output head tied to the embedding: dense logits for div_val 1, else adaptive log-softmax
// log-probabilities over the whole vocabulary.
class TiedHeadImpl : public torch::nn::Module {
public:
    TiedHeadImpl(const ArchConfig& a, AdaptiveEmbedding embedding);
    torch::Tensor forward(const torch::Tensor& hidden); // [N, d_model] -> [N, vocab]

    AdaptiveEmbedding emb { nullptr }; // tied, deliberately not registered as a submodule
    torch::Tensor headProj, clusterWeight, clusterBias;
    std::vector<torch::Tensor> biases;
};
TORCH_MODULE(TiedHead);

class Gpt2BlockImpl : public torch::nn::Module {
public:
    Gpt2BlockImpl(int dModel, int nHead, int dInner);
    torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& causal);
    // The two halves of forward(), timed separately by the latency table.
    torch::Tensor attentionPart(const torch::Tensor& x, const torch::Tensor& causal);
    torch::Tensor mlpPart(const torch::Tensor& x);
    // forward() of `x` [B, t, d], at positions [pos, pos + t), after the keys and values of the
    // positions before it in `k` and `v` ([B, n_head, capacity, d_head]), which it extends.
    torch::Tensor forwardCached(
        const torch::Tensor& x, torch::Tensor& k, torch::Tensor& v, std::int64_t pos, const torch::Tensor& causal);

    int nHead;
    torch::nn::LayerNorm ln1 { nullptr }, ln2 { nullptr };
    Linear cAttn { nullptr }, cProj { nullptr }, cFc { nullptr }, mlpProj { nullptr };
};
TORCH_MODULE(Gpt2Block);

class RelAttentionImpl : public torch::nn::Module {
public:
    RelAttentionImpl(int dModel, int nHead);
    // w: [qlen, B, d]; r: [klen, d]; mem: [mlen, B, d] (may be undefined); mask: [qlen, klen]
    torch::Tensor forward(
        const torch::Tensor& w, const torch::Tensor& r, const torch::Tensor& mem, const torch::Tensor& mask);

    int nHead, dHead;
    Linear qkvNet { nullptr }, oNet { nullptr }, rNet { nullptr };
    torch::nn::LayerNorm layerNorm { nullptr };
    torch::Tensor rwBias, rrBias; // [n_head, d_head], per layer
};
TORCH_MODULE(RelAttention);

class XlLayerImpl : public torch::nn::Module {
public:
    XlLayerImpl(int dModel, int nHead, int dInner);
    torch::Tensor forward(
        const torch::Tensor& w, const torch::Tensor& r, const torch::Tensor& mem, const torch::Tensor& mask);
    torch::Tensor feedForwardPart(const torch::Tensor& h);

    RelAttention attn { nullptr };
    Linear ff1 { nullptr }, ff2 { nullptr };
    torch::nn::LayerNorm ffNorm { nullptr };
};
TORCH_MODULE(XlLayer);

// A language model that the profiler runs: ids [B, T] in, scores [B*T, vocab] out.
class LanguageModel : public torch::nn::Module {
public:
    virtual torch::Tensor forward(const torch::Tensor& ids) = 0;
    // Parameters of the decoder modules (layers and final norm), counted on the built model.
    virtual std::int64_t decoderParamCount() = 0;
    // Transformer-XL: fill the segment memory so later calls run in steady state.
    virtual void resetState() { }
    // When set, forward() runs everything but the decoder layers (embedding, final norm, head):
    // the latency table times that part once per d_model.
    bool skipLayers = false;

    // Incremental decoding. startDecoding() empties the cache (GPT-2: keys and values for
    // `capacity` positions of `batch` sequences, allocated at once; Transformer-XL: its memory);
    // decode() runs ids [B, t] after everything decoded since and returns the scores of the
    // last position only, [B, vocab] (logits, or log-probabilities for an adaptive softmax).
    virtual void startDecoding(std::int64_t batch, std::int64_t capacity, const torch::Device& device) = 0;
    virtual torch::Tensor decode(const torch::Tensor& ids) = 0;
};

class Gpt2ModelImpl final : public LanguageModel {
public:
    explicit Gpt2ModelImpl(const ArchConfig& a);
    torch::Tensor forward(const torch::Tensor& ids) override;
    std::int64_t decoderParamCount() override;
    void startDecoding(std::int64_t batch, std::int64_t capacity, const torch::Device& device) override;
    torch::Tensor decode(const torch::Tensor& ids) override;

    AdaptiveEmbedding emb { nullptr };
    Embedding wpe { nullptr };
    torch::nn::ModuleList blocks;
    torch::nn::LayerNorm lnF { nullptr };
    TiedHead head { nullptr };
    torch::Tensor causal;
    // The key/value cache: one [B, n_head, capacity, d_head] pair per layer (layers may differ in
    // n_head), and how many positions it holds.
    std::vector<torch::Tensor> cacheK, cacheV;
    std::int64_t cached = 0;
};

class TransformerXlModelImpl final : public LanguageModel {
public:
    explicit TransformerXlModelImpl(const ArchConfig& a);
    // Runs one segment against the current memory, then updates the memory with it.
    torch::Tensor forward(const torch::Tensor& ids) override;
    std::int64_t decoderParamCount() override;
    void resetState() override { mems.clear(); }
    // Generation runs on the segment memory, one step at a time, as Transformer-XL generates:
    // each step attends over the memory (at most mem_len positions) and itself.
    void startDecoding(std::int64_t, std::int64_t, const torch::Device&) override { mems.clear(); }
    torch::Tensor decode(const torch::Tensor& ids) override;

    int memLen;
    int dModel;
    AdaptiveEmbedding emb { nullptr };
    torch::nn::ModuleList layers;
    TiedHead head { nullptr };
    // Inverse frequencies of the relative positions, in float whatever the precision (not a
    // buffer, so that bf16 does not round them); moved to the activations' device when used.
    mutable torch::Tensor invFreq;
    std::vector<torch::Tensor> mems; // one [mlen, B, d] per layer

    // The last layer's output [qlen, B, d] for ids [B, qlen], after the memory, which it updates.
    torch::Tensor hidden(const torch::Tensor& ids);
    // Relative position embeddings [klen, d] and the causal mask [qlen, klen] over memory.
    torch::Tensor positions(std::int64_t klen, const torch::TensorOptions& options) const;
    static torch::Tensor causalMask(std::int64_t qlen, std::int64_t mlen, const torch::TensorOptions& options);
};

std::shared_ptr<LanguageModel> buildModel(const ArchConfig& a, Init init = Init::Random);
// The tensors' type of float numbers in `p`: bf16, fp16, else float (int8 keeps float activations).
torch::Dtype floatType(Precision p);
// Puts `m` on `device` in `p`: bf16 and fp16 convert every float parameter and buffer; int8
// quantises every Linear (the decoder's linear layers; the embedding and the tied head stay float).
void prepare(torch::nn::Module& m, const torch::Device& device, Precision p);
// Distinct parameters of a module (tied tensors counted once).
std::int64_t countDistinctParams(torch::nn::Module& m);

} // namespace lts::torchmodels
