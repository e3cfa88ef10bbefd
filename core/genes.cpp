#include "genes.h"

#include <algorithm>

namespace lts {

Breeder::Breeder(const SearchSpace& space, const SearchParams& params)
    : m_space(space)
    , m_params(params)
    , m_rng(params.seed)
{
}

std::size_t Breeder::index(std::size_t n)
{
    return std::uniform_int_distribution<std::size_t>(0, n - 1)(m_rng);
}

std::vector<int> Breeder::innerChoices(int dModel) const
{
    std::vector<int> inner;
    for (int di : m_space.dInner)
        if (di >= m_space.minInnerRatio * dModel)
            inner.push_back(di);
    return inner; // validate() guarantees a choice for every d_model
}

Genes Breeder::random()
{
    const auto& s = m_space;
    auto pick = [this](const std::vector<int>& v) { return v[index(v.size())]; };
    Genes g;
    g.nLayer = std::uniform_int_distribution<int>(s.nLayerMin, s.nLayerMax)(m_rng);
    g.dModel = pick(s.dModel);
    const std::vector<int> inner = innerChoices(g.dModel);
    const int length = s.homogeneous ? 1 : s.nLayerMax;
    for (int i = 0; i < length; ++i) {
        g.nHead.push_back(pick(s.nHead));
        g.dInner.push_back(pick(inner));
    }
    return g;
}

// Each gene is redrawn with the mutation probability; a d_inner from the values allowed for
// the child's own d_model, as the reference LTS code does, so that a mutant is not rejected or
// pushed towards wide layers by the d_model of some other random draw.
Genes Breeder::mutate(const Genes& g)
{
    const Genes fresh = random();
    std::bernoulli_distribution flip(m_params.mutationProb);
    Genes c = g;
    if (flip(m_rng))
        c.nLayer = fresh.nLayer;
    if (flip(m_rng))
        c.dModel = fresh.dModel;
    for (std::size_t i = 0; i < c.nHead.size(); ++i)
        if (flip(m_rng))
            c.nHead[i] = fresh.nHead[i];
    const std::vector<int> inner = innerChoices(c.dModel);
    for (std::size_t i = 0; i < c.dInner.size(); ++i)
        if (flip(m_rng))
            c.dInner[i] = inner[index(inner.size())];
    return c;
}

Genes Breeder::crossover(const Genes& a, const Genes& b)
{
    std::bernoulli_distribution first(m_params.crossoverProb);
    Genes c;
    c.nLayer = first(m_rng) ? a.nLayer : b.nLayer;
    c.dModel = first(m_rng) ? a.dModel : b.dModel;
    for (std::size_t i = 0; i < a.nHead.size(); ++i)
        c.nHead.push_back(first(m_rng) ? a.nHead[i] : b.nHead[i]);
    for (std::size_t i = 0; i < a.dInner.size(); ++i)
        c.dInner.push_back(first(m_rng) ? a.dInner[i] : b.dInner[i]);
    return c;
}

ArchConfig Breeder::arch(const Genes& g) const
{
    ArchConfig a = m_space.baseArch();
    a.nLayer = g.nLayer;
    a.dModel = g.dModel;
    for (int i = 0; i < g.nLayer; ++i) {
        const std::size_t gene = m_space.homogeneous ? 0 : std::size_t(i);
        a.nHead.push_back(g.nHead[gene]);
        a.dInner.push_back(g.dInner[gene]);
    }
    return a;
}

Genes Breeder::genesOf(const ArchConfig& a) const
{
    Genes g;
    g.nLayer = a.nLayer;
    g.dModel = a.dModel;
    const int length = m_space.homogeneous ? 1 : m_space.nLayerMax;
    for (int i = 0; i < length; ++i) {
        const int layer = std::min(i, a.nLayer - 1);
        g.nHead.push_back(a.nHead[std::size_t(layer)]);
        g.dInner.push_back(a.dInner[std::size_t(layer)]);
    }
    return g;
}

} // namespace lts
