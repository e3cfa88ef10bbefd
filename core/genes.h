// The genome the evolution breeds: n_layer, d_model and per-layer n_head and d_inner genes, and
// the seeded random operations on it (sampling, mutation, crossover). Internal to the search.
#pragma once

#include "search.h"
#include "searchspace.h"

#include <cstddef>
#include <random>
#include <vector>

namespace lts {

struct Genes {
    int nLayer = 0;
    int dModel = 0;
    std::vector<int> nHead; // max-layers long (one entry when homogeneous)
    std::vector<int> dInner;
};

// Not thread-safe: one per search run. Every draw comes from one generator seeded by the
// search's seed, so a search replays exactly.
class Breeder final {
public:
    Breeder(const SearchSpace& space, const SearchParams& params);

    Genes random();
    Genes mutate(const Genes& g);
    Genes crossover(const Genes& a, const Genes& b);
    // A uniform index below n (n > 0).
    std::size_t index(std::size_t n);
    std::mt19937_64& rng() { return m_rng; }

    ArchConfig arch(const Genes& g) const;
    // Layers beyond n_layer repeat the last one, so growing n_layer by mutation stays plausible.
    Genes genesOf(const ArchConfig& a) const;

private:
    // The d_inner values the space allows with `dModel`.
    std::vector<int> innerChoices(int dModel) const;

    const SearchSpace& m_space;
    const SearchParams& m_params;
    std::mt19937_64 m_rng;
};

} // namespace lts
