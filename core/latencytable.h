// The latency estimate behind screening: a table of on-device part timings (embedding and head
// per d_model; attention per d_model and n_head; feed-forward per d_model and d_inner), each
// timed the first time an architecture needs it, summed over an architecture's layers. Parts
// are timed at grid values of d_model and d_inner (each value up to 64, then 128, 256, 512, 1024
// and every multiple of 1024) and interpolated between them, which keeps the table small
// whatever the search space. It holds no LibTorch: the measurer times the parts.
#pragma once

#include "archconfig.h"

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>

namespace lts {

enum class LatencyPart { Head, Attention, FeedForward };

// One part to time on the device: `arch` is the context (embedding, head, sequence) with
// d_model set and no layers; `width` is n_head for attention, d_inner for feed-forward.
struct PartToTime {
    LatencyPart part = LatencyPart::Head;
    ArchConfig arch;
    int width = 0;
    int tokens = 0;
};

// The grid a width is measured on; returns the grid points around `v` (equal when `v` is one).
std::pair<int, int> latencyGridBracket(int v);

// Not thread-safe: owned by one measurer.
class PartLatencyTable final {
public:
    // Times a part missing from the table; nullopt when it cannot (cancelled).
    using Timer = std::function<std::optional<double>(const PartToTime&)>;

    // Estimated latency (ms) of `arch` running `tokens` tokens: nullopt when `arch` is invalid or
    // a missing part could not be timed.
    std::optional<double> estimate(const ArchConfig& arch, int tokens, const Timer& timeMissing);

    // Opaque key -> ms, what a run folder keeps in parts.json.
    const std::map<std::string, double>& entries() const { return m_partMs; }
    // Adds the finite, positive timings of `table`.
    void load(const std::map<std::string, double>& table);
    int size() const { return int(m_partMs.size()); }

private:
    std::optional<double> part(LatencyPart part, const ArchConfig& context, int contextId, int dModel, int width,
        int tokens, const Timer& timeMissing);

    std::map<std::string, double> m_partMs;
    std::unordered_map<std::string, int> m_contexts;
    // Packed (context, part, d_model, width) -> ms: an estimate looks parts up by the hundred.
    std::unordered_map<std::uint64_t, double> m_fastPartMs;
};

} // namespace lts
