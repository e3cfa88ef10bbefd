// A whole search configuration: the space, the search's knobs and the measurement protocol.
// It is what `lts-search run --space` reads, what the GUI's Configure panel edits and saves, and
// what session.json records (jsonio.h reads and writes it).
#pragma once

#include "measurement.h"
#include "search.h"
#include "searchspace.h"

namespace lts {

struct SearchConfig {
    SearchSpace space;
    SearchParams search;
    MeasureProtocol protocol;
};

} // namespace lts
