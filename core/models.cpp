#include "models_torch.h"

#include "runtime.h"

#include <ATen/core/dispatch/Dispatcher.h>

#include <cmath>
#include <unordered_set>

namespace lts::torchmodels {

namespace F = torch::nn::functional;

namespace {

    constexpr double kInitStd = 0.02; // GPT-2's initialiser range

    thread_local Init t_init = Init::Random; // set by buildModel() for the modules it creates

    torch::Tensor weightTensor(at::IntArrayRef shape)
    {
        return t_init == Init::Random ? torch::randn(shape) * kInitStd : torch::empty(shape);
    }

    torch::Tensor normalParam(std::int64_t rows, std::int64_t cols)
    {
        return weightTensor({ rows, cols });
    }

    // One row (a decode step at batch 1) takes a matrix-vector product: BLAS's matrix product packs
    // its operands first, which for one row costs several times the product itself (OpenBLAS 0.3.21
    // on an AMD EPYC: a 50,257 x 640 head 17.7 ms, against 6.9 ms as a matrix-vector product), and a
    // deployed runtime decodes with matrix-vector kernels. Float on the CPU only: elsewhere the
    // library's own choice stands.
    bool oneRow(const torch::Tensor& x, const torch::Tensor& w)
    {
        return x.dim() >= 1 && x.numel() == x.size(-1) && x.numel() > 0 && x.device().is_cpu()
            && x.scalar_type() == torch::kFloat && w.scalar_type() == torch::kFloat;
    }

    torch::Tensor dense(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& b = {})
    {
        if (!oneRow(x, w))
            return F::linear(x, w, b);
        auto shape = x.sizes().vec();
        shape.back() = w.size(0);
        const auto v = x.reshape({ -1 });
        return (b.defined() ? torch::addmv(b, w, v) : torch::mv(w, v)).view(shape);
    }

    std::int64_t numel(torch::nn::Module& m)
    {
        std::int64_t n = 0;
        for (const auto& p : m.parameters())
            n += p.numel();
        return n;
    }

} // namespace

InitScope::InitScope(Init init)
    : m_previous(t_init)
{
    t_init = init;
}

InitScope::~InitScope()
{
    t_init = m_previous;
}

LinearImpl::LinearImpl(std::int64_t in, std::int64_t out, bool withBias)
{
    weight = register_parameter("weight", weightTensor({ out, in }));
    if (withBias)
        bias = register_parameter("bias", torch::zeros({ out }));
}

torch::Tensor LinearImpl::forward(const torch::Tensor& x)
{
    if (packed.isNone())
        return dense(x, weight, bias);
    static const auto op = c10::Dispatcher::singleton().findSchemaOrThrow("quantized::linear_dynamic", "");
    torch::jit::Stack stack { x, packed, false }; // reduce_range: false, as oneDNN and QNNPACK want
    op.callBoxed(&stack);
    return stack[0].toTensor();
}

void LinearImpl::quantizeInt8()
{
    static const auto prepack = c10::Dispatcher::singleton().findSchemaOrThrow("quantized::linear_prepack", "");
    torch::NoGradGuard noGrad;
    // Symmetric per output channel. Uninitialised weights (the profiler's) may hold NaN or
    // infinite bit patterns, which have no scale: they count as 0.
    const auto w = torch::nan_to_num(weight.detach(), 0.0, 0.0, 0.0);
    const auto scales = (w.abs().amax(1) / 127.0).clamp_min(1e-8).to(torch::kDouble);
    const auto qw = torch::quantize_per_channel(w, scales, torch::zeros({ w.size(0) }, torch::kLong), 0, torch::kQInt8);
    torch::jit::Stack stack { qw, bias.defined() ? c10::IValue(bias) : c10::IValue() };
    prepack.callBoxed(&stack);
    packed = stack[0];
    weight.set_(torch::empty({ 0 }, weight.options())); // the float weights are gone, as in a deployment
}

EmbeddingImpl::EmbeddingImpl(std::int64_t count, std::int64_t dim)
{
    weight = register_parameter("weight", weightTensor({ count, dim }));
}

torch::Tensor EmbeddingImpl::forward(const torch::Tensor& ids)
{
    return F::embedding(ids, weight);
}

AdaptiveEmbeddingImpl::AdaptiveEmbeddingImpl(const ArchConfig& a)
    : divVal(a.divVal)
    , dModel(a.dModel)
{
    bounds.push_back(0);
    if (divVal > 1)
        bounds.insert(bounds.end(), a.cutoffs.begin(), a.cutoffs.end());
    bounds.push_back(a.vocabSize);
    tables = register_module("tables", torch::nn::ModuleList());
    std::int64_t width = a.dEmbed;
    for (std::size_t i = 0; i + 1 < bounds.size(); ++i, width /= a.divVal) {
        tables->push_back(Embedding(bounds[i + 1] - bounds[i], width));
        const bool projected = divVal > 1 || width != a.dModel;
        projs.push_back(
            projected ? register_parameter("proj" + std::to_string(i), normalParam(a.dModel, width)) : torch::Tensor());
    }
    // Adaptive (projected) embeddings are scaled by sqrt(d_model) as in Transformer-XL.
    scale = projs[0].defined() ? std::sqrt(double(a.dModel)) : 1.0;
}

torch::Tensor AdaptiveEmbeddingImpl::forward(const torch::Tensor& ids)
{
    if (tables->size() == 1) {
        auto x = tables[0]->as<Embedding>()->forward(ids);
        return projs[0].defined() ? dense(x, projs[0]) * scale : x;
    }
    auto flat = ids.reshape(-1);
    auto out = torch::zeros({ flat.size(0), dModel }, projs[0].options());
    for (std::size_t i = 0; i < tables->size(); ++i) {
        const auto lo = bounds[i], hi = bounds[i + 1];
        auto idx = ((flat >= lo) & (flat < hi)).nonzero().squeeze(-1);
        if (idx.numel() == 0)
            continue;
        auto vec = tables[i]->as<Embedding>()->forward(flat.index_select(0, idx) - lo);
        out.index_copy_(0, idx, F::linear(vec, projs[i]));
    }
    auto shape = ids.sizes().vec();
    shape.push_back(dModel);
    return out.view(shape) * scale;
}

TiedHeadImpl::TiedHeadImpl(const ArchConfig& a, AdaptiveEmbedding embedding)
    : emb(std::move(embedding))
{
    if (a.divVal == 1)
        return;
    const auto clusters = std::int64_t(emb->bounds.size()) - 2;
    headProj = register_parameter("head_proj", normalParam(a.dModel, a.dEmbed));
    clusterWeight = register_parameter("cluster_weight", torch::zeros({ clusters, std::int64_t(a.dEmbed) }));
    clusterBias = register_parameter("cluster_bias", torch::zeros({ clusters }));
    for (std::size_t i = 0; i + 1 < emb->bounds.size(); ++i)
        biases.push_back(
            register_parameter("bias" + std::to_string(i), torch::zeros({ emb->bounds[i + 1] - emb->bounds[i] })));
}

torch::Tensor TiedHeadImpl::forward(const torch::Tensor& hidden)
{
    auto table = [this](std::size_t i) { return emb->tables[i]->as<Embedding>()->weight; };
    if (emb->divVal == 1) {
        // Dense head tied to the embedding (and its projection): logits, as GPT-2 returns them.
        auto h = emb->projs[0].defined() ? dense(hidden, emb->projs[0].t()) : hidden;
        return dense(h, table(0));
    }
    auto logits = [](const torch::Tensor& h, const torch::Tensor& w, const torch::Tensor& b,
                      const torch::Tensor& proj) { return dense(dense(h, proj.t()), w, b); };
    const auto& bounds = emb->bounds;
    const auto nClusters = std::int64_t(bounds.size()) - 2;
    if (nClusters == 0)
        return torch::log_softmax(logits(hidden, table(0), biases[0], headProj), -1);
    torch::Tensor head;
    if (oneRow(hidden, headProj)) {
        // A decode step: the shortlist's and the clusters' logits apart, rather than a copy of
        // the shortlist's table joined to the clusters' weights at every token.
        const auto h = dense(hidden, headProj.t());
        head = torch::log_softmax(
            torch::cat({ dense(h, table(0), biases[0]), dense(h, clusterWeight, clusterBias) }, -1), -1);
    } else {
        const auto headW = torch::cat({ table(0), clusterWeight });
        const auto headB = torch::cat({ biases[0], clusterBias });
        head = torch::log_softmax(logits(hidden, headW, headB, headProj), -1);
    }
    const auto shortlist = bounds[1];
    auto out = torch::empty({ hidden.size(0), bounds.back() }, hidden.options());
    out.narrow(1, 0, shortlist).copy_(head.narrow(1, 0, shortlist));
    for (std::int64_t i = 1; i <= nClusters; ++i) {
        auto tail = torch::log_softmax(logits(hidden, table(i), biases[i], emb->projs[i]), -1);
        out.narrow(1, bounds[i], bounds[i + 1] - bounds[i]).copy_(head.narrow(1, shortlist + i - 1, 1) + tail);
    }
    return out;
}

Gpt2BlockImpl::Gpt2BlockImpl(int dModel, int nHead_, int dInner)
    : nHead(nHead_)
{
    ln1 = register_module("ln_1", torch::nn::LayerNorm(torch::nn::LayerNormOptions({ dModel })));
    cAttn = register_module("c_attn", Linear(dModel, 3 * dModel));
    cProj = register_module("c_proj", Linear(dModel, dModel));
    ln2 = register_module("ln_2", torch::nn::LayerNorm(torch::nn::LayerNormOptions({ dModel })));
    cFc = register_module("c_fc", Linear(dModel, dInner));
    mlpProj = register_module("mlp_proj", Linear(dInner, dModel));
}

torch::Tensor Gpt2BlockImpl::attentionPart(const torch::Tensor& x, const torch::Tensor& causal)
{
    const auto b = x.size(0), t = x.size(1), d = x.size(2);
    auto qkv = cAttn(ln1(x)).split(d, -1);
    auto heads = [&](const torch::Tensor& z) { return z.view({ b, t, nHead, d / nHead }).transpose(1, 2); };
    auto q = heads(qkv[0]), k = heads(qkv[1]), v = heads(qkv[2]);
    auto att = torch::matmul(q, k.transpose(-1, -2)) / std::sqrt(double(d / nHead));
    att = att.masked_fill(causal.narrow(0, 0, t).narrow(1, 0, t), -INFINITY).softmax(-1);
    auto y = torch::matmul(att, v).transpose(1, 2).reshape({ b, t, d });
    return x + cProj(y);
}

torch::Tensor Gpt2BlockImpl::forwardCached(
    const torch::Tensor& x, torch::Tensor& kCache, torch::Tensor& vCache, std::int64_t pos, const torch::Tensor& causal)
{
    const auto b = x.size(0), t = x.size(1), d = x.size(2);
    auto qkv = cAttn(ln1(x)).split(d, -1);
    auto heads = [&](const torch::Tensor& z) { return z.view({ b, t, nHead, d / nHead }).transpose(1, 2); };
    auto q = heads(qkv[0]);
    kCache.narrow(2, pos, t).copy_(heads(qkv[1]));
    vCache.narrow(2, pos, t).copy_(heads(qkv[2]));
    auto k = kCache.narrow(2, 0, pos + t), v = vCache.narrow(2, 0, pos + t);
    auto att = torch::matmul(q, k.transpose(-1, -2)) / std::sqrt(double(d / nHead));
    att = att.masked_fill(causal.narrow(0, pos, t).narrow(1, 0, pos + t), -INFINITY).softmax(-1);
    auto y = torch::matmul(att, v).transpose(1, 2).reshape({ b, t, d });
    return mlpPart(x + cProj(y));
}

torch::Tensor Gpt2BlockImpl::mlpPart(const torch::Tensor& x)
{
    return x + mlpProj(F::gelu(cFc(ln2(x)), F::GELUFuncOptions().approximate("tanh")));
}

torch::Tensor Gpt2BlockImpl::forward(const torch::Tensor& x, const torch::Tensor& causal)
{
    return mlpPart(attentionPart(x, causal));
}

Gpt2ModelImpl::Gpt2ModelImpl(const ArchConfig& a)
{
    emb = register_module("emb", AdaptiveEmbedding(a));
    wpe = register_module("wpe", Embedding(a.seqLen, a.dModel));
    blocks = register_module("blocks", torch::nn::ModuleList());
    for (int i = 0; i < a.nLayer; ++i)
        blocks->push_back(Gpt2Block(a.dModel, a.nHead[i], a.dInner[i]));
    lnF = register_module("ln_f", torch::nn::LayerNorm(torch::nn::LayerNormOptions({ a.dModel })));
    head = register_module("head", TiedHead(a, emb));
    causal = register_buffer("causal", torch::ones({ a.seqLen, a.seqLen }, torch::kBool).triu(1));
}

torch::Tensor Gpt2ModelImpl::forward(const torch::Tensor& ids)
{
    auto pos = torch::arange(ids.size(1), torch::TensorOptions().dtype(torch::kLong).device(ids.device()));
    auto h = emb(ids) + wpe(pos);
    for (std::size_t i = 0; !skipLayers && i < blocks->size(); ++i)
        h = blocks[i]->as<Gpt2Block>()->forward(h, causal);
    h = lnF(h);
    return head(h.reshape({ -1, h.size(-1) }));
}

void Gpt2ModelImpl::startDecoding(std::int64_t batch, std::int64_t capacity, const torch::Device& device)
{
    TORCH_CHECK(capacity <= causal.size(0), "a GPT-2 model has ", causal.size(0), " positions, not ", capacity);
    cacheK.clear();
    cacheV.clear();
    for (std::size_t i = 0; i < blocks->size(); ++i) {
        const auto* block = blocks[i]->as<Gpt2Block>();
        const std::int64_t d = emb->dModel;
        const auto shape = std::vector<std::int64_t> { batch, block->nHead, capacity, d / block->nHead };
        // in the activations' number format
        const auto options = torch::TensorOptions().device(device).dtype(lnF->weight.scalar_type());
        cacheK.push_back(torch::empty(shape, options));
        cacheV.push_back(torch::empty(shape, options));
    }
    cached = 0;
}

torch::Tensor Gpt2ModelImpl::decode(const torch::Tensor& ids)
{
    const auto t = ids.size(1);
    TORCH_CHECK(!cacheK.empty() && cached + t <= cacheK[0].size(2), "the key/value cache holds ",
        cacheK.empty() ? 0 : cacheK[0].size(2), " positions; ", cached + t, " asked for");
    auto pos = torch::arange(cached, cached + t, torch::TensorOptions().dtype(torch::kLong).device(ids.device()));
    auto h = emb(ids) + wpe(pos);
    for (std::size_t i = 0; i < blocks->size(); ++i)
        h = blocks[i]->as<Gpt2Block>()->forwardCached(h, cacheK[i], cacheV[i], cached, causal);
    cached += t;
    return head(lnF(h.select(1, t - 1)));
}

std::int64_t Gpt2ModelImpl::decoderParamCount()
{
    return numel(*blocks) + numel(*lnF);
}

RelAttentionImpl::RelAttentionImpl(int dModel, int nHead_)
    : nHead(nHead_)
    , dHead(dModel / nHead_)
{
    qkvNet = register_module("qkv_net", Linear(dModel, 3 * dModel, false));
    oNet = register_module("o_net", Linear(dModel, dModel, false));
    rNet = register_module("r_net", Linear(dModel, dModel, false));
    layerNorm = register_module("layer_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({ dModel })));
    rwBias = register_parameter("r_w_bias", torch::zeros({ nHead, dHead }));
    rrBias = register_parameter("r_r_bias", torch::zeros({ nHead, dHead }));
}

namespace {

    // Aligns BD[i, j] to relative distance (the Transformer-XL "relative shift").
    torch::Tensor relShift(const torch::Tensor& x)
    {
        auto zeroPad = torch::zeros({ x.size(0), 1, x.size(2), x.size(3) }, x.options());
        auto padded = torch::cat({ zeroPad, x }, 1).view({ x.size(1) + 1, x.size(0), x.size(2), x.size(3) });
        return padded.narrow(0, 1, x.size(1)).view_as(x);
    }

} // namespace

torch::Tensor RelAttentionImpl::forward(
    const torch::Tensor& w, const torch::Tensor& r, const torch::Tensor& mem, const torch::Tensor& mask)
{
    const auto qlen = w.size(0), bsz = w.size(1), rlen = r.size(0);
    auto cat = mem.defined() && mem.size(0) > 0 ? torch::cat({ mem, w }, 0) : w;
    auto heads = qkvNet(cat).chunk(3, -1);
    const auto klen = cat.size(0);
    auto q = heads[0].narrow(0, klen - qlen, qlen).view({ qlen, bsz, nHead, dHead });
    auto k = heads[1].view({ klen, bsz, nHead, dHead });
    auto v = heads[2].view({ klen, bsz, nHead, dHead });
    auto rk = rNet(r).view({ rlen, nHead, dHead });
    auto ac = torch::einsum("ibnd,jbnd->ijbn", { q + rwBias, k });
    auto bd = relShift(torch::einsum("ibnd,jnd->ijbn", { q + rrBias, rk }));
    auto score = (ac + bd) * (1.0 / std::sqrt(double(dHead)));
    score = score.masked_fill(mask.unsqueeze(-1).unsqueeze(-1), -INFINITY);
    auto prob = torch::softmax(score, 1);
    auto vec = torch::einsum("ijbn,jbnd->ibnd", { prob, v }).reshape({ qlen, bsz, nHead * dHead });
    return layerNorm(w + oNet(vec)); // post-LayerNorm
}

XlLayerImpl::XlLayerImpl(int dModel, int nHead, int dInner)
{
    attn = register_module("attn", RelAttention(dModel, nHead));
    ff1 = register_module("ff1", Linear(dModel, dInner));
    ff2 = register_module("ff2", Linear(dInner, dModel));
    ffNorm = register_module("ff_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({ dModel })));
}

torch::Tensor XlLayerImpl::forward(
    const torch::Tensor& w, const torch::Tensor& r, const torch::Tensor& mem, const torch::Tensor& mask)
{
    return feedForwardPart(attn(w, r, mem, mask));
}

torch::Tensor XlLayerImpl::feedForwardPart(const torch::Tensor& h)
{
    return ffNorm(h + ff2(torch::relu(ff1(h))));
}

TransformerXlModelImpl::TransformerXlModelImpl(const ArchConfig& a)
    : memLen(a.memLen)
    , dModel(a.dModel)
{
    emb = register_module("emb", AdaptiveEmbedding(a));
    layers = register_module("layers", torch::nn::ModuleList());
    for (int i = 0; i < a.nLayer; ++i)
        layers->push_back(XlLayer(a.dModel, a.nHead[i], a.dInner[i]));
    head = register_module("head", TiedHead(a, emb));
    invFreq = 1.0 / torch::pow(10000.0, torch::arange(0.0, double(a.dModel), 2.0) / double(a.dModel));
}

torch::Tensor TransformerXlModelImpl::positions(std::int64_t klen, const torch::TensorOptions& options) const
{
    // in float, then in the activations' format: bf16 has no exact integers above 256
    if (invFreq.device() != options.device())
        invFreq = invFreq.to(options.device());
    auto posSeq = torch::arange(double(klen - 1), -1.0, -1.0, options.dtype(torch::kFloat));
    auto sinusoid = torch::outer(posSeq, invFreq);
    return torch::cat({ sinusoid.sin(), sinusoid.cos() }, -1).to(options.dtype());
}

torch::Tensor TransformerXlModelImpl::causalMask(
    std::int64_t qlen, std::int64_t mlen, const torch::TensorOptions& options)
{
    return torch::ones({ qlen, qlen + mlen }, options.dtype(torch::kBool)).triu(1 + mlen);
}

torch::Tensor TransformerXlModelImpl::forward(const torch::Tensor& ids)
{
    return head(hidden(ids).reshape({ -1, dModel }));
}

torch::Tensor TransformerXlModelImpl::decode(const torch::Tensor& ids)
{
    auto x = hidden(ids);
    return head(x.select(0, x.size(0) - 1));
}

torch::Tensor TransformerXlModelImpl::hidden(const torch::Tensor& ids)
{
    auto x = emb(ids.t()); // [qlen, B, d]
    if (skipLayers)
        return x;
    const auto qlen = x.size(0);
    const auto mlen = mems.empty() ? 0 : mems[0].size(0);
    const auto posEmb = positions(mlen + qlen, x.options());
    const auto mask = causalMask(qlen, mlen, x.options());
    std::vector<torch::Tensor> hids;
    hids.reserve(layers->size());
    for (std::size_t i = 0; i < layers->size(); ++i) {
        hids.push_back(x);
        x = layers[i]->as<XlLayer>()->forward(x, posEmb, mems.empty() ? torch::Tensor() : mems[i], mask);
    }
    if (memLen > 0) {
        std::vector<torch::Tensor> next;
        for (std::size_t i = 0; i < hids.size(); ++i) {
            auto all = mems.empty() ? hids[i] : torch::cat({ mems[i], hids[i] }, 0);
            const auto keep = std::min<std::int64_t>(memLen, all.size(0));
            next.push_back(all.narrow(0, all.size(0) - keep, keep).detach());
        }
        mems = std::move(next);
    }
    return x;
}

std::int64_t TransformerXlModelImpl::decoderParamCount()
{
    return numel(*layers);
}

std::shared_ptr<LanguageModel> buildModel(const ArchConfig& a, Init init)
{
    InitScope scope(init);
    if (a.backbone == Backbone::Gpt2)
        return std::make_shared<Gpt2ModelImpl>(a);
    return std::make_shared<TransformerXlModelImpl>(a);
}

torch::Dtype floatType(Precision p)
{
    return p == Precision::Bf16 ? torch::kBFloat16 : p == Precision::Fp16 ? torch::kHalf : torch::kFloat;
}

void prepare(torch::nn::Module& m, const torch::Device& device, Precision p)
{
    // Module::to(device, dtype) would convert every tensor, the bool masks too: floats only here
    torch::NoGradGuard noGrad;
    const auto convert = [&](torch::Tensor& t) {
        const auto type = t.is_floating_point() ? floatType(p) : t.scalar_type();
        if (t.device() != device || t.scalar_type() != type)
            t.set_data(t.to(device, type));
    };
    for (auto& t : m.parameters())
        convert(t);
    for (auto& t : m.buffers())
        convert(t);
    if (p != Precision::Int8)
        return;
    TORCH_CHECK(!selectInt8Engine().empty(), "this LibTorch has no quantised engine for int8");
    for (const auto& child : m.modules())
        if (auto linear = std::dynamic_pointer_cast<LinearImpl>(child))
            linear->quantizeInt8();
}

std::int64_t countDistinctParams(torch::nn::Module& m)
{
    std::unordered_set<const void*> seen;
    std::int64_t n = 0;
    for (const auto& p : m.parameters())
        if (seen.insert(p.unsafeGetTensorImpl()).second)
            n += p.numel();
    return n;
}

} // namespace lts::torchmodels
