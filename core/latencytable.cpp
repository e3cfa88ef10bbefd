#include "latencytable.h"

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

void PartLatencyTable::load(const std::map<std::string, double>& table)
{
    for (const auto& [key, ms] : table)
        if (std::isfinite(ms) && ms > 0)
            m_partMs[key] = ms;
    m_fastPartMs.clear();
}

std::optional<double> PartLatencyTable::part(LatencyPart part, const ArchConfig& context, int contextId, int dModel,
    int width, int tokens, const Timer& timeMissing)
{
    const std::uint64_t fastKey = (std::uint64_t(contextId) << 48) | (std::uint64_t(part) << 46)
        | (std::uint64_t(dModel & 0x7fffff) << 23) | std::uint64_t(width & 0x7fffff);
    if (const auto it = m_fastPartMs.find(fastKey); it != m_fastPartMs.end())
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
    if (const auto it = m_partMs.find(key); it != m_partMs.end())
        return m_fastPartMs[fastKey] = it->second;
    const std::optional<double> ms = timeMissing(p);
    if (!ms)
        return std::nullopt;
    m_partMs.emplace(key, *ms);
    return m_fastPartMs[fastKey] = *ms;
}

std::optional<double> PartLatencyTable::estimate(const ArchConfig& arch, int tokens, const Timer& timeMissing)
{
    // The head's cost is linear in d_model, the feed-forward's bilinear in d_model and d_inner (two
    // matrix products and an activation), the attention's close to quadratic in d_model (four
    // d_model x d_model projections). Widths on the grid, and attention whose n_head does not
    // divide the grid's d_model, are timed as they are.
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
        auto interpolate = [](int v, bool quadratic, auto&& at) -> std::optional<double> {
            const auto [lo, hi] = latencyGridBracket(v);
            const auto low = at(lo);
            if (!low || lo == hi)
                return low;
            const auto high = at(hi);
            if (!high)
                return std::nullopt;
            const double t = quadratic ? (double(v) * v - double(lo) * lo) / (double(hi) * hi - double(lo) * lo)
                                       : double(v - lo) / double(hi - lo);
            return *low + (*high - *low) * t;
        };
        auto at = [&](LatencyPart p, int dk, int width) {
            return part(p, context, id, dk, width, tokens, timeMissing);
        };
        const int d = arch.dModel;
        const auto [dLo, dHi] = latencyGridBracket(d);
        auto total = interpolate(d, false, [&](int dk) { return at(LatencyPart::Head, dk, 0); });
        for (int i = 0; total && i < arch.nLayer; ++i) {
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
            total = feedForward ? std::optional<double>(*total + *attention + *feedForward) : std::nullopt;
        }
        return total;
    } catch (const std::exception&) {
        return std::nullopt; // no estimate: the candidate is measured in full
    }
}

} // namespace lts
