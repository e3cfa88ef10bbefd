// A whole search configuration: the space, the search's knobs and the measurement protocol.
// It is what `lts-search run --space` reads, what the GUI's Configure panel edits and saves, and
// what session.json records (jsonio.h reads and writes it).
#pragma once

#include "measurement.h"
#include "search.h"
#include "searchspace.h"

#include <algorithm>

namespace lts {

struct SearchConfig {
    SearchSpace space;
    SearchParams search;
    MeasureProtocol protocol;
    // Where to measure: empty for this computer, else remote devices (ssh://[user@]host[:port]/
    // cpu or /cuda[:N], all of one kind: a pool measures in parallel) and the program that
    // serves measurements there. protocol.device is then the remote devices' kind.
    std::vector<std::string> remoteDevices;
    std::string remoteProgram = "lts-search";
};

// Candidates a search evaluates when it runs every iteration: its first population, then each
// iteration's children (the random baseline: a population per iteration), at most the space.
inline double plannedCandidates(const SearchConfig& c)
{
    const SearchParams& p = c.search;
    const double n = p.algorithm == Algorithm::Random
        ? double(p.iterations) * p.populationSize()
        : p.populationSize() + double(p.iterations - 1) * (p.mutants + p.crossovers);
    return std::max(1.0, std::min(n, c.space.size()));
}

} // namespace lts
