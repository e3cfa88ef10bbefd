// The LTS search space: the knobs of the architectures a search may sample, with the paper's
// presets, validation and sampling.
#pragma once

#include "archconfig.h"

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace lts {

struct SearchSpace {
    std::string name;
    Backbone backbone = Backbone::Gpt2;
    int nLayerMin = 2;
    int nLayerMax = 15;
    std::vector<int> dModel; // choices
    std::vector<int> nHead; // per-layer choices
    std::vector<int> dInner; // per-layer choices
    bool homogeneous = false; // one n_head and d_inner for all layers
    double minInnerRatio = 0; // d_inner >= ratio * d_model
    int divVal = 1;
    int dEmbed = 0;
    std::vector<int> cutoffs;
    int vocabSize = 0;
    int seqLen = 0;
    int memLen = 0;
    std::int64_t paramsMin = 0; // decoder-parameter bounds, checked before measuring
    std::int64_t paramsMax = 0;
    double latencyCeilingMs = 0; // 0: no ceiling
    double memoryCeilingMb = 0; // 0: no ceiling

    // Throws InputError naming the field and the rule.
    void validate() const;
    // Fixed parts of every architecture of the space (everything but the sampled genes).
    ArchConfig baseArch() const;
    // True when `arch` belongs to the space (in its choices and bounds); `why` gets the reason.
    bool contains(const ArchConfig& arch, std::string* why = nullptr) const;
    // Smallest and largest decoder-parameter count any architecture of the space can have
    // (ignoring the bounds), and the number of distinct architectures (as a double: it is huge).
    std::int64_t minDecoderParams() const;
    std::int64_t maxDecoderParams() const;
    double size() const;
};

std::vector<std::string> presetNames();
// Throws InputError on an unknown name.
SearchSpace preset(const std::string& name);

// Arithmetic progression lo, lo+step, ..., <= hi.
std::vector<int> rangeChoices(int lo, int hi, int step);

} // namespace lts
