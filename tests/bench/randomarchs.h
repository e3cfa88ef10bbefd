// Seeded random architectures of a search space for the benchmarks: each layer's n_head and
// d_inner drawn alike (d_inner at least min_inner_ratio x d_model), kept when inside the space.
#pragma once

#include "searchspace.h"

#include <cstdint>
#include <random>
#include <vector>

inline std::vector<lts::ArchConfig> randomArchs(const lts::SearchSpace& space, int n, std::uint64_t seed)
{
    std::mt19937_64 rng(seed);
    auto pick = [&](const std::vector<int>& v) {
        return v[std::uniform_int_distribution<std::size_t>(0, v.size() - 1)(rng)];
    };
    std::vector<lts::ArchConfig> archs;
    while (int(archs.size()) < n) {
        lts::ArchConfig a = space.baseArch();
        a.nLayer = std::uniform_int_distribution<int>(space.nLayerMin, space.nLayerMax)(rng);
        a.dModel = pick(space.dModel);
        for (int i = 0; i < a.nLayer; ++i) {
            a.nHead.push_back(pick(space.nHead));
            int di = 0;
            while (di < space.minInnerRatio * a.dModel)
                di = pick(space.dInner);
            a.dInner.push_back(di);
        }
        if (space.contains(a))
            archs.push_back(a);
    }
    return archs;
}
