// Generation with a key/value cache (GPT-2) or the segment memory (Transformer-XL): the prompt
// once, then one token at a time. The interface speaks plain value types; LibTorch stays inside
// generation.cpp and models.cpp.
#pragma once

#include "archconfig.h"
#include "measurement.h"

#include <cstdint>

namespace lts {

// How far incremental decoding strays from one full forward pass over the same tokens.
struct DecodeCheck {
    int positions = 0; // next-token distributions compared: prompt's last, then each generated
    double maxAbsDiff = 0; // largest |a - b| over every log-probability compared
    double maxRelDiff = 0; // largest |a - b| / max(|b|, 1)
    // Another precision than fp32: how far its full pass strays from the same weights' in fp32:
    // the norm of the difference of their log-probabilities over the norm of the fp32 ones'
    // deviations from their mean.
    double vsFp32RelativeError = 0;
};

// Builds `arch` with seeded random weights (biases, norms and per-head biases perturbed too),
// scores `tokens` random ids in one forward pass, then decodes the same ids incrementally: the
// first `prompt` at once, then one at a time, and compares the next-token log-probabilities over
// the whole vocabulary at every position from prompt - 1 on. Transformer-XL's memory must hold
// the whole sequence (mem_len >= tokens) for the two to see the same context. Throws InputError
// naming the field when the lengths do not fit the architecture. Both run in `precision` (as the
// profiler prepares models), compared in float; for another precision than fp32, the full pass is
// also compared with fp32's.
DecodeCheck checkIncrementalDecoding(
    const ArchConfig& arch, int prompt, int tokens, std::uint64_t seed, Precision precision = Precision::Fp32);

} // namespace lts
