#include "searchspace.h"

#include "errors.h"
#include "paramcount.h"

#include <algorithm>
#include <cmath>

namespace lts {

std::vector<int> rangeChoices(int lo, int hi, int step)
{
    std::vector<int> out;
    for (long long v = lo; step > 0 && v <= hi; v += step)
        out.push_back(int(v));
    return out;
}

namespace {

    bool has(const std::vector<int>& v, int x)
    {
        return std::find(v.begin(), v.end(), x) != v.end();
    }

    void requireChoices(const char* field, const std::vector<int>& v, Limits<int> limits)
    {
        if (v.empty())
            throw InputError(field, "needs at least one choice");
        for (int x : v)
            if (!limits.contains(x))
                throw InputError(field,
                    "choices must be between " + std::to_string(limits.lo) + " and " + std::to_string(limits.hi)
                        + ", got " + std::to_string(x));
    }

    // Smallest and largest d_inner allowed with this d_model; {0, 0} when none is.
    std::pair<int, int> innerBounds(const SearchSpace& s, int dModel)
    {
        int lo = 0, hi = 0;
        for (int di : s.dInner) {
            if (di < s.minInnerRatio * dModel)
                continue;
            lo = lo ? std::min(lo, di) : di;
            hi = std::max(hi, di);
        }
        return { lo, hi };
    }

    std::int64_t finalNormParams(const SearchSpace& s, int dModel)
    {
        return s.backbone == Backbone::Gpt2 ? 2 * std::int64_t(dModel) : 0;
    }

} // namespace

ArchConfig SearchSpace::baseArch() const
{
    ArchConfig a;
    a.backbone = backbone;
    a.divVal = divVal;
    a.dEmbed = dEmbed;
    a.cutoffs = cutoffs;
    a.vocabSize = vocabSize;
    a.seqLen = seqLen;
    a.memLen = backbone == Backbone::TransformerXL ? memLen : 0;
    return a;
}

void SearchSpace::validate() const
{
    if (!kLayerLimits.contains(nLayerMin))
        throw InputError("n_layer.min",
            "must be between " + std::to_string(kLayerLimits.lo) + " and " + std::to_string(kLayerLimits.hi));
    if (nLayerMax < nLayerMin || nLayerMax > kLayerLimits.hi)
        throw InputError("n_layer.max",
            "must be between n_layer.min (" + std::to_string(nLayerMin) + ") and " + std::to_string(kLayerLimits.hi));
    requireChoices("d_model", dModel, kWidthLimits);
    requireChoices("n_head", nHead, kWidthLimits);
    requireChoices("d_inner", dInner, kWidthLimits);
    for (int d : dModel)
        for (int h : nHead)
            if (d % h != 0)
                throw InputError("n_head",
                    "every d_model choice must be divisible by every n_head choice; " + std::to_string(d)
                        + " is not divisible by " + std::to_string(h));
    requireRange("min_inner_ratio", minInnerRatio, kInnerRatioLimits);
    for (int d : dModel)
        if (innerBounds(*this, d).first == 0)
            throw InputError("d_inner",
                "no choice reaches min_inner_ratio x d_model = " + std::to_string(minInnerRatio * d) + " for d_model "
                    + std::to_string(d));
    // The fixed embedding fields obey the architecture rules; check them on a one-layer model.
    ArchConfig a = baseArch();
    a.nLayer = 1;
    a.dModel = dModel.front();
    a.nHead = { nHead.front() };
    a.dInner = { dInner.front() };
    lts::validate(a);
    if (paramsMin < 0)
        throw InputError("params_min", "must not be negative");
    if (paramsMax != 0 && paramsMax < paramsMin)
        throw InputError("params_max", "must be at least params_min (or 0 for no bound)");
    if (paramsMin > maxDecoderParams())
        throw InputError("params_min",
            "no architecture of the space has that many decoder parameters (the largest has "
                + std::to_string(maxDecoderParams()) + ")");
    if (paramsMax != 0 && paramsMax < minDecoderParams())
        throw InputError("params_max",
            "no architecture of the space is that small (the smallest has " + std::to_string(minDecoderParams())
                + " decoder parameters)");
    if (!(latencyCeilingMs >= 0) || !std::isfinite(latencyCeilingMs))
        throw InputError("latency_ceiling_ms", "must be 0 (none) or a positive number");
    if (!(memoryCeilingMb >= 0) || !std::isfinite(memoryCeilingMb))
        throw InputError("memory_ceiling_mb", "must be 0 (none) or a positive number");
}

std::int64_t SearchSpace::minDecoderParams() const
{
    std::int64_t best = -1;
    for (int d : dModel) {
        const int di = innerBounds(*this, d).first;
        if (!di)
            continue;
        const auto p = nLayerMin * decoderLayerParams(backbone, d, di) + finalNormParams(*this, d);
        best = best < 0 ? p : std::min(best, p);
    }
    return std::max<std::int64_t>(best, 0);
}

std::int64_t SearchSpace::maxDecoderParams() const
{
    std::int64_t best = 0;
    for (int d : dModel) {
        const int di = innerBounds(*this, d).second;
        if (di)
            best = std::max(best, nLayerMax * decoderLayerParams(backbone, d, di) + finalNormParams(*this, d));
    }
    return best;
}

double SearchSpace::size() const
{
    double total = 0;
    for (int d : dModel) {
        double inner = 0;
        for (int di : dInner)
            inner += di >= minInnerRatio * d ? 1 : 0;
        const double perLayer = inner * double(nHead.size());
        for (int n = nLayerMin; n <= nLayerMax; ++n)
            total += homogeneous ? perLayer : std::pow(perLayer, n);
    }
    return total;
}

bool SearchSpace::contains(const ArchConfig& a, std::string* why) const
{
    auto fail = [why](const std::string& reason) {
        if (why)
            *why = reason;
        return false;
    };
    if (a.backbone != backbone)
        return fail("backbone is not " + backboneName(backbone));
    if (a.nLayer < nLayerMin || a.nLayer > nLayerMax)
        return fail("n_layer outside the space's range");
    if (!has(dModel, a.dModel))
        return fail("d_model is not one of the choices");
    if (int(a.nHead.size()) != a.nLayer || int(a.dInner.size()) != a.nLayer)
        return fail("n_head and d_inner need one value per layer");
    for (int i = 0; i < a.nLayer; ++i) {
        if (!has(nHead, a.nHead[i]))
            return fail("n_head[" + std::to_string(i) + "] is not one of the choices");
        if (!has(dInner, a.dInner[i]))
            return fail("d_inner[" + std::to_string(i) + "] is not one of the choices");
        if (a.dInner[i] < minInnerRatio * a.dModel)
            return fail("d_inner[" + std::to_string(i) + "] is below min_inner_ratio x d_model");
    }
    if (homogeneous && !a.homogeneous())
        return fail("the space has homogeneous layers");
    ArchConfig fixed = baseArch();
    if (a.divVal != fixed.divVal || a.dEmbed != fixed.dEmbed || a.cutoffs != fixed.cutoffs
        || a.vocabSize != fixed.vocabSize || a.seqLen != fixed.seqLen || a.memLen != fixed.memLen)
        return fail("embedding, vocabulary or length settings differ from the space's");
    const auto p = decoderParams(a);
    if (p < paramsMin || (paramsMax != 0 && p > paramsMax))
        return fail("decoder parameters outside [params_min, params_max]");
    return true;
}

std::vector<std::string> presetNames()
{
    return { "gpt2-lts", "transformer-xl-lts" };
}

SearchSpace preset(const std::string& name)
{
    // The paper's search spaces (LiteTransformerSearch, NeurIPS 2022, section 4 and appendix).
    SearchSpace s;
    s.name = name;
    s.dModel = rangeChoices(128, 960, 64);
    s.dInner = rangeChoices(128, 4032, 64);
    s.nHead = { 2, 4, 8 };
    s.minInnerRatio = 1.7;
    s.divVal = 4;
    s.dEmbed = 512;
    s.seqLen = 192;
    if (name == "gpt2-lts") {
        s.backbone = Backbone::Gpt2;
        s.nLayerMin = 2;
        s.nLayerMax = 15;
        s.vocabSize = 50257;
        s.cutoffs = { 19997, 39997 };
        s.paramsMin = 6'000'000;
        s.paramsMax = 100'000'000;
        return s;
    }
    if (name == "transformer-xl-lts") {
        s.backbone = Backbone::TransformerXL;
        s.nLayerMin = 2;
        s.nLayerMax = 16;
        s.vocabSize = 267736;
        s.cutoffs = { 19997, 39997, 199997 };
        s.memLen = 192;
        s.paramsMin = 4'000'000;
        s.paramsMax = 100'000'000;
        return s;
    }
    std::string known;
    for (const auto& n : presetNames())
        known += (known.empty() ? "" : ", ") + n;
    throw InputError("preset", "unknown preset \"" + name + "\" (known: " + known + ")");
}

} // namespace lts
