// Analytic parameter counts of an architecture. The decoder count is LTS's training-free proxy
// for perplexity; no model is built to compute it.
#pragma once

#include "archconfig.h"

#include <cstdint>
#include <vector>

namespace lts {

struct ParamBreakdown {
    // Decoder: every parameter of the decoder layers plus a final LayerNorm where there is one.
    std::int64_t attention = 0; // q/k/v and output projections (with biases for GPT-2)
    std::int64_t feedForward = 0; // both linear layers with biases
    std::int64_t layerNorm = 0; // per-layer LayerNorms
    std::int64_t relativePosition = 0; // Transformer-XL r_net and r_w/r_r biases
    std::int64_t finalNorm = 0;
    std::vector<std::int64_t> perLayer;
    // Not decoder: token embeddings with their projections, positions, output head.
    std::int64_t embedding = 0;
    std::int64_t positional = 0;
    std::int64_t head = 0; // parameters of the softmax that are not tied to the embedding

    std::int64_t decoder() const { return attention + feedForward + layerNorm + relativePosition + finalNorm; }
    std::int64_t total() const { return decoder() + embedding + positional + head; }
};

// Preconditions: validate(arch) passed.
ParamBreakdown countParams(const ArchConfig& arch);
inline std::int64_t decoderParams(const ArchConfig& arch)
{
    return countParams(arch).decoder();
}

// Cheap decoder count of one layer, used while sampling.
std::int64_t decoderLayerParams(Backbone b, int dModel, int dInner);

} // namespace lts
