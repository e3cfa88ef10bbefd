// The bounds of every number a search configuration holds, in one home: core's validators, the
// lts-search option parser and the Configure panel's spin boxes all read them from here.
#pragma once

#include "errors.h"

#include <cstdint>
#include <cstdio>
#include <string>

namespace lts {

// A closed range [lo, hi] of allowed values.
template <typename T> struct Limits {
    T lo;
    T hi;
    // False for NaN, so a garbage double is refused like an out-of-range one.
    constexpr bool contains(T v) const { return v >= lo && v <= hi; }
};

// Architecture: upper bounds that keep absurd input from allocating anything.
inline constexpr int kMaxLayers = 1024;
inline constexpr int kMaxWidth = 1 << 17; // d_model, d_inner, d_embed
inline constexpr int kMaxVocab = 10'000'000;
inline constexpr int kMaxSeqLen = 1 << 16;
inline constexpr int kMaxRemoteDevices = 64; // of one pool
inline constexpr Limits<int> kLayerLimits { 1, kMaxLayers };
inline constexpr Limits<int> kWidthLimits { 1, kMaxWidth }; // also every n_head and d_inner choice
inline constexpr Limits<int> kVocabLimits { 2, kMaxVocab }; // a softmax over one token predicts nothing
inline constexpr Limits<int> kSeqLenLimits { 1, kMaxSeqLen };
inline constexpr Limits<int> kMemLenLimits { 0, kMaxSeqLen }; // 0: Transformer-XL without memory
inline constexpr Limits<int> kDivValLimits { 1, 64 }; // each cluster is d_embed / div_val^i wide
// Smallest d_inner as a multiple of d_model; 0 is no limit, beyond 1000 no choice could pass.
inline constexpr Limits<double> kInnerRatioLimits { 0, 1000 };

// Search.
inline constexpr Limits<int> kIterationLimits { 1, 100'000 }; // more would be a typo, not a search
inline constexpr Limits<int> kParentLimits { 1, 100'000 }; // per iteration, as for the offspring
inline constexpr Limits<int> kOffspringLimits { 0, 100'000 }; // mutants, crossovers: each one measured
inline constexpr Limits<double> kProbabilityLimits { 0, 1 }; // mutation_prob, crossover_prob
inline constexpr Limits<double> kScreeningMarginLimits { 0, 0.9 }; // at 1 an estimate drops to 0: nothing screened
inline constexpr Limits<int> kPresampleLimits { 1, 100 }; // times the batch, every one estimated
inline constexpr Limits<int> kEstimateRoundLimits { 0, 100 }; // each round breeds and estimates a pool
inline constexpr Limits<double> kTimeBudgetLimits { 0, 1e7 }; // seconds, 0: none; 1e7 is about four months
inline constexpr std::int64_t kMaxSeed = std::int64_t(1) << 53; // JSON numbers are exact up to here

// Measurement protocol.
inline constexpr Limits<int> kThreadLimits { 1, 1024 }; // more than any machine's cores
inline constexpr Limits<int> kBatchLimits { 1, 4096 }; // keeps one forward pass's activations bounded
inline constexpr Limits<int> kProtocolSeqLenLimits { 0, kMaxSeqLen }; // 0: the architecture's seq_len
inline constexpr Limits<int> kWarmupLimits { 0, 1000 }; // bounds the time one measurement may take
inline constexpr Limits<int> kRepeatLimits { 1, 10'000 }; // repeats and min_repeats
// A fraction of the median: 0 times every repeat; the upper end itself is excluded (1 would accept
// any spread).
inline constexpr Limits<double> kToleranceLimits { 0, 1 };

// Proxy audit: brief training of a sample of a run's architectures.
inline constexpr Limits<int> kAuditArchLimits { 2, 64 }; // a rank correlation needs two
inline constexpr Limits<double> kTrainTokenLimits { 1024, 1e11 }; // per architecture
inline constexpr Limits<double> kTrainSecondLimits { 1, 7 * 86400 }; // per architecture
inline constexpr Limits<int> kTrainBatchLimits { 1, 1024 };
inline constexpr Limits<int> kTrainContextLimits { 0, 8192 }; // 0: the architecture's seq_len
inline constexpr Limits<double> kLearningRateLimits { 1e-6, 1 };
inline constexpr Limits<double> kEvalTokenLimits { 256, 1e9 };

// Throws InputError(field, "must be between lo and hi, got value") when `value` is outside.
inline void requireRange(const std::string& field, long long value, Limits<int> limits)
{
    if (value < limits.lo || value > limits.hi)
        throw InputError(field,
            "must be between " + std::to_string(limits.lo) + " and " + std::to_string(limits.hi) + ", got "
                + std::to_string(value));
}

// Throws InputError(field, "must be between lo and hi") when `value` is outside or NaN.
inline void requireRange(const std::string& field, double value, Limits<double> limits)
{
    if (limits.contains(value))
        return;
    char lo[32], hi[32];
    std::snprintf(lo, sizeof lo, "%g", limits.lo);
    std::snprintf(hi, sizeof hi, "%g", limits.hi);
    throw InputError(field, std::string("must be between ") + lo + " and " + hi);
}

} // namespace lts
