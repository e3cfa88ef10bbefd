#include "partcosts.h"

#include "paramcount.h"

#include <algorithm>
#include <cmath>
#include <exception>

namespace lts {

std::pair<int, int> latencyGridBracket(int v)
{
    if (v <= 64)
        return { v, v };
    int lo = 64;
    while (lo < 1024 && 2 * lo <= v)
        lo *= 2;
    if (lo >= 1024)
        lo = v / 1024 * 1024;
    if (lo == v)
        return { v, v };
    return { lo, lo < 1024 ? 2 * lo : lo + 1024 };
}

void PartCostTable::load(const std::map<std::string, double>& table)
{
    for (const auto& [key, value] : table)
        if (std::isfinite(value) && value > 0)
            m_entries[key] = value;
    m_fast.clear();
}

int PartCostTable::parts() const
{
    int n = 0;
    for (const auto& entry : m_entries)
        n += entry.first.size() < 3 || entry.first.compare(entry.first.size() - 3, 3, "|mb") != 0;
    return n;
}

std::optional<PartCost> PartCostTable::part(LatencyPart part, const ArchConfig& context, int contextId, int dModel,
    int width, int tokens, const Timer& timeMissing)
{
    const std::uint64_t fastKey = (std::uint64_t(contextId) << 48) | (std::uint64_t(part) << 46)
        | (std::uint64_t(dModel & 0x7fffff) << 23) | std::uint64_t(width & 0x7fffff);
    if (const auto it = m_fast.find(fastKey); it != m_fast.end())
        return it->second;
    PartToTime p;
    p.part = part;
    p.arch = context;
    p.arch.dModel = dModel;
    p.width = width;
    p.tokens = tokens;
    static const char* const kPartNames[] = { "head", "attn", "ff" };
    const std::string key = p.arch.key() + "|t" + std::to_string(tokens) + "|" + kPartNames[static_cast<int>(part)]
        + (part == LatencyPart::Head ? "" : std::to_string(width));
    const std::string memKey = key + "|mb";
    const auto ms = m_entries.find(key), mb = m_entries.find(memKey);
    if (ms != m_entries.end() && mb != m_entries.end())
        return m_fast[fastKey] = PartCost { ms->second, mb->second };
    const std::optional<PartCost> cost = timeMissing(p);
    if (!cost)
        return std::nullopt;
    m_entries[key] = cost->ms;
    m_entries[memKey] = cost->peakMb;
    return m_fast[fastKey] = *cost;
}

std::optional<Estimate> PartCostTable::estimate(const ArchConfig& arch, int batch, int tokens, const Timer& timeMissing)
{
    // The head's cost is linear in d_model, the feed-forward's bilinear in d_model and d_inner (two
    // matrix products and an activation), the attention's close to quadratic in d_model (four
    // d_model x d_model projections). Widths on the grid, and attention whose n_head does not
    // divide the grid's d_model, are timed as they are. Memory is interpolated linearly.
    try {
        validate(arch);
        ArchConfig context = arch;
        context.nLayer = 0;
        context.nHead.clear();
        context.dInner.clear();
        context.dModel = 0;
        const auto [ctx, added] = m_contexts.try_emplace(context.key() + "|t" + std::to_string(tokens), 0);
        if (added)
            ctx->second = int(m_contexts.size());
        const int id = ctx->second;
        auto interpolate = [](int v, bool quadratic, auto&& at) -> std::optional<PartCost> {
            const auto [lo, hi] = latencyGridBracket(v);
            const auto low = at(lo);
            if (!low || lo == hi)
                return low;
            const auto high = at(hi);
            if (!high)
                return std::nullopt;
            const double t = double(v - lo) / double(hi - lo);
            const double tq = quadratic ? (double(v) * v - double(lo) * lo) / (double(hi) * hi - double(lo) * lo) : t;
            return PartCost { low->ms + (high->ms - low->ms) * tq, low->peakMb + (high->peakMb - low->peakMb) * t };
        };
        auto at = [&](LatencyPart p, int dk, int width) {
            return part(p, context, id, dk, width, tokens, timeMissing);
        };
        const int d = arch.dModel;
        const auto [dLo, dHi] = latencyGridBracket(d);
        const auto head = interpolate(d, false, [&](int dk) { return at(LatencyPart::Head, dk, 0); });
        if (!head)
            return std::nullopt;
        Estimate e;
        e.latencyMs = head->ms;
        double layerPeakMb = 0;
        for (int i = 0; i < arch.nLayer; ++i) {
            const int h = arch.nHead[std::size_t(i)], di = arch.dInner[std::size_t(i)];
            const auto attention = dLo % h == 0 && dHi % h == 0
                ? interpolate(d, true, [&](int dk) { return at(LatencyPart::Attention, dk, h); })
                : at(LatencyPart::Attention, d, h);
            const auto feedForward = attention
                ? interpolate(d, false,
                    [&](int dk) {
                        return interpolate(di, false, [&](int wk) { return at(LatencyPart::FeedForward, dk, wk); });
                    })
                : std::nullopt;
            if (!feedForward)
                return std::nullopt;
            e.latencyMs += attention->ms + feedForward->ms;
            layerPeakMb = std::max({ layerPeakMb, attention->peakMb, feedForward->peakMb });
        }
        // A layer's activations come on top of the residual stream it reads and writes; a
        // Transformer-XL also holds each layer's memory between passes.
        constexpr double kMb = 1024.0 * 1024.0, kFloat = sizeof(float);
        const double streamMb = double(batch) * tokens * d * kFloat / kMb;
        const double xlMemoryMb = arch.backbone == Backbone::TransformerXL
            ? double(arch.nLayer + 1) * arch.memLen * batch * d * kFloat / kMb
            : 0;
        const double weightsMb = double(countParams(arch).total()) * kFloat / kMb;
        e.peakMemoryMb = weightsMb + xlMemoryMb + std::max(head->peakMb, layerPeakMb + 2 * streamMb);
        return e;
    } catch (const std::exception&) {
        return std::nullopt; // no estimate: the candidate is measured in full
    }
}

} // namespace lts
