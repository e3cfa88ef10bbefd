// Text forms of numbers and architectures shared by the plot tooltip, the tables and the
// details panel, so every view writes a value the same way.
#pragma once

#include "candidate.h"

#include <QString>

#include <cstdint>
#include <vector>

namespace studio {

// "12.35M" for a parameter count.
QString millions(std::int64_t n);
// "01:02:03" for a duration in seconds.
QString clockText(double seconds);
// "8" when every layer has the same value, else "8,4,2".
QString layersSummary(const std::vector<int>& values);
// A rich-text summary of a candidate for tooltips: architecture per layer and metrics.
QString candidateTooltip(const lts::Candidate& c, const QString& runName);
// Human-readable status of a candidate ("ok", "failed: out of memory", "over ceiling").
QString statusText(const lts::Candidate& c);

} // namespace studio
