#include "archconfig.h"

#include "errors.h"

namespace lts {

std::string backboneName(Backbone b)
{
    return b == Backbone::Gpt2 ? "gpt2" : "transformer-xl";
}

Backbone backboneFromName(const std::string& name, const std::string& field)
{
    if (name == "gpt2")
        return Backbone::Gpt2;
    if (name == "transformer-xl" || name == "mem_transformer")
        return Backbone::TransformerXL;
    throw InputError(field, "must be \"gpt2\" or \"transformer-xl\", not \"" + name + "\"");
}

bool ArchConfig::homogeneous() const
{
    for (std::size_t i = 1; i < nHead.size(); ++i)
        if (nHead[i] != nHead[0])
            return false;
    for (std::size_t i = 1; i < dInner.size(); ++i)
        if (dInner[i] != dInner[0])
            return false;
    return true;
}

std::string ArchConfig::key() const
{
    // Appends rather than a stream: opening a large run builds one key per candidate.
    std::string s = backboneName(backbone);
    auto add = [&s](char sep, int v) {
        s += sep;
        s += std::to_string(v);
    };
    add('|', nLayer);
    add('|', dModel);
    s += "|h";
    for (int h : nHead)
        add(',', h);
    s += "|i";
    for (int d : dInner)
        add(',', d);
    add('|', divVal);
    add('|', dEmbed);
    s += "|c";
    for (int c : cutoffs)
        add(',', c);
    add('|', vocabSize);
    add('|', seqLen);
    add('|', memLen);
    return s;
}

bool ArchConfig::operator==(const ArchConfig& o) const
{
    return backbone == o.backbone && nLayer == o.nLayer && dModel == o.dModel && nHead == o.nHead && dInner == o.dInner
        && divVal == o.divVal && dEmbed == o.dEmbed && cutoffs == o.cutoffs && vocabSize == o.vocabSize
        && seqLen == o.seqLen && memLen == o.memLen;
}

void validate(const ArchConfig& a)
{
    requireRange("n_layer", a.nLayer, kLayerLimits);
    requireRange("d_model", a.dModel, kWidthLimits);
    if (static_cast<int>(a.nHead.size()) != a.nLayer)
        throw InputError("n_head",
            "needs one value per layer (" + std::to_string(a.nLayer) + "), got " + std::to_string(a.nHead.size()));
    if (static_cast<int>(a.dInner.size()) != a.nLayer)
        throw InputError("d_inner",
            "needs one value per layer (" + std::to_string(a.nLayer) + "), got " + std::to_string(a.dInner.size()));
    for (int i = 0; i < a.nLayer; ++i) {
        const std::string layer = "[" + std::to_string(i) + "]";
        if (a.nHead[i] < 1 || a.nHead[i] > a.dModel)
            throw InputError("n_head" + layer,
                "must be between 1 and d_model (" + std::to_string(a.dModel) + "), got " + std::to_string(a.nHead[i]));
        if (a.dModel % a.nHead[i] != 0)
            throw InputError("n_head" + layer,
                "d_model (" + std::to_string(a.dModel) + ") must be divisible by n_head (" + std::to_string(a.nHead[i])
                    + ")");
        requireRange("d_inner" + layer, a.dInner[i], kWidthLimits);
    }
    requireRange("vocab_size", a.vocabSize, kVocabLimits);
    requireRange("seq_len", a.seqLen, kSeqLenLimits);
    requireRange("d_embed", a.dEmbed, kWidthLimits);
    requireRange("div_val", a.divVal, kDivValLimits);
    if (a.backbone == Backbone::TransformerXL)
        requireRange("mem_len", a.memLen, kMemLenLimits);
    int previous = 0;
    for (std::size_t i = 0; i < a.cutoffs.size(); ++i) {
        const std::string field = "cutoffs[" + std::to_string(i) + "]";
        if (a.cutoffs[i] <= previous)
            throw InputError(field, "cutoffs must be positive and strictly increasing");
        if (a.cutoffs[i] >= a.vocabSize)
            throw InputError(field,
                "must be below vocab_size (" + std::to_string(a.vocabSize) + "), got " + std::to_string(a.cutoffs[i]));
        previous = a.cutoffs[i];
    }
    if (a.divVal > 1) {
        // Cluster i has width d_embed / div_val^i; the last one must keep at least one dimension.
        long long width = a.dEmbed;
        for (std::size_t i = 0; i < a.cutoffs.size(); ++i)
            width /= a.divVal;
        if (width < 1)
            throw InputError("div_val",
                "d_embed / div_val^" + std::to_string(a.cutoffs.size())
                    + " must be at least 1 (the last cluster's width)");
    }
}

} // namespace lts
