// Text forms of numbers and architectures shared by the plot tooltip, the tables and the
// details panel, so every view writes a value the same way.
#pragma once

#include "candidate.h"
#include "runstore.h"

#include <QString>
#include <QStringList>

#include <cstdint>
#include <vector>

namespace studio {

// "12.35M" for a parameter count.
QString millions(std::int64_t n);
// "1 candidate", "12 candidates", "12,300 candidates", "8.1 million candidates", "2.4 billion
// …", "1.87e+34 …": a count of things with its noun (`plural` empty: `singular` + "s").
QString countText(double n, const QString& singular, const QString& plural = {});
// "01:02:03" for a duration in seconds.
QString clockText(double seconds);
// "about 1 h 29 min", "about 12 min", "about 40 s": a rough duration.
QString durationText(double seconds);
// "8" when every layer has the same value, else "8,4,2".
QString layersSummary(const std::vector<int>& values);
// A rich-text summary of a candidate of `layer` for tooltips: architecture per layer and metrics;
// an estimated candidate's values read as estimates, with their expected error.
QString candidateTooltip(const lts::Candidate& c, const RunLayer& layer);
// How far off an estimate of this run is expected to be: "90% of 34 checks within ±6.2%", or
// that it was not checked against full measurements yet.
QString expectedError(const lts::EstimateQuality& q);
// An estimated candidate's calibrated estimates as lines of plain text ("Latency ≈ 533.2 ms,
// estimated", then its expected error), or that it has none.
QStringList estimateLines(const lts::Candidate& c, const RunLayer& layer);
// Human-readable status of a candidate ("ok", "failed: out of memory", "over ceiling").
QString statusText(const lts::Candidate& c);

} // namespace studio
