#include "paramcount.h"

namespace lts {

std::int64_t decoderLayerParams(Backbone b, int dModel, int dInner)
{
    const std::int64_t d = dModel, di = dInner;
    const std::int64_t feedForward = 2 * d * di + di + d;
    if (b == Backbone::Gpt2)
        return 4 * d * d + 4 * d + feedForward + 4 * d; // attention, MLP, two LayerNorms
    return 4 * d * d + (d * d + 2 * d) + feedForward + 4 * d; // adds r_net and r_w/r_r biases
}

ParamBreakdown countParams(const ArchConfig& a)
{
    ParamBreakdown p;
    const std::int64_t d = a.dModel;
    for (int i = 0; i < a.nLayer; ++i) {
        const std::int64_t di = a.dInner[i];
        if (a.backbone == Backbone::Gpt2) {
            p.attention += 3 * d * d + 3 * d + d * d + d; // c_attn, c_proj (with biases)
        } else {
            p.attention += 3 * d * d + d * d; // qkv_net, o_net (no biases)
            p.relativePosition += d * d + 2 * d; // r_net, r_w_bias, r_r_bias
        }
        p.feedForward += d * di + di + di * d + d;
        p.layerNorm += 4 * d;
        p.perLayer.push_back(decoderLayerParams(a.backbone, a.dModel, a.dInner[i]));
    }
    if (a.backbone == Backbone::Gpt2) {
        p.finalNorm = 2 * d;
        p.positional = std::int64_t(a.seqLen) * d;
    }

    const std::int64_t e = a.dEmbed;
    if (a.divVal == 1) {
        // Plain embedding, tied to a dense head without bias; projected when d_embed != d_model.
        p.embedding = std::int64_t(a.vocabSize) * e + (e != d ? d * e : 0);
        return p;
    }
    std::vector<std::int64_t> bounds { 0 };
    bounds.insert(bounds.end(), a.cutoffs.begin(), a.cutoffs.end());
    bounds.push_back(a.vocabSize);
    std::int64_t width = e;
    for (std::size_t i = 0; i + 1 < bounds.size(); ++i, width /= a.divVal)
        p.embedding += (bounds[i + 1] - bounds[i]) * width + d * width; // table and its projection
    // Adaptive softmax: tables and tail projections tied to the embedding; its own head
    // projection, cluster weights and biases, and one bias per token.
    const std::int64_t clusters = std::int64_t(a.cutoffs.size());
    p.head = d * e + clusters * e + clusters + a.vocabSize;
    return p;
}

} // namespace lts
