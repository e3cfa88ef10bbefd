#include "jsonio.h"

#include "jsonfields.h"

#include "errors.h"
#include "remote.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSaveFile>
#include <QStringList>

#include <cmath>
#include <limits>

namespace lts {

namespace {

    // Files larger than this are refused before they are read.
    constexpr qint64 kMaxJsonFileBytes = 64 * 1024 * 1024;

    QString q(const char* key)
    {
        return QString::fromLatin1(key);
    }

} // namespace

namespace jsonfield {

    std::string typeName(const QJsonValue& v)
    {
        switch (v.type()) {
        case QJsonValue::Null:
            return "null";
        case QJsonValue::Bool:
            return "a boolean";
        case QJsonValue::Double:
            return "a number";
        case QJsonValue::String:
            return "a string";
        case QJsonValue::Array:
            return "an array";
        case QJsonValue::Object:
            return "an object";
        default:
            return "undefined";
        }
    }

    long long toInteger(const QJsonValue& v, const std::string& field)
    {
        if (!v.isDouble())
            throw InputError(field, "must be an integer, got " + typeName(v));
        const double d = v.toDouble();
        if (!std::isfinite(d) || d != std::floor(d) || std::fabs(d) > 9.0e15)
            throw InputError(field, "must be an integer, got " + std::to_string(d));
        return static_cast<long long>(d);
    }

    int toInt(const QJsonValue& v, const std::string& field)
    {
        const long long x = toInteger(v, field);
        if (x < std::numeric_limits<int>::min() || x > std::numeric_limits<int>::max())
            throw InputError(field, "is out of range, got " + std::to_string(x));
        return int(x);
    }

    // A required or defaulted integer member.
    int intField(const QJsonObject& o, const char* key, const std::string& prefix)
    {
        if (!o.contains(q(key)))
            throw InputError(prefix + key, "is required");
        return toInt(o.value(q(key)), prefix + key);
    }

    int intField(const QJsonObject& o, const char* key, int fallback, const std::string& prefix)
    {
        return o.contains(q(key)) ? toInt(o.value(q(key)), prefix + key) : fallback;
    }

    double numberField(const QJsonObject& o, const char* key, double fallback, const std::string& prefix)
    {
        if (!o.contains(q(key)))
            return fallback;
        const QJsonValue v = o.value(q(key));
        if (!v.isDouble() || !std::isfinite(v.toDouble()))
            throw InputError(prefix + key, "must be a number, got " + typeName(v));
        return v.toDouble();
    }

    std::string stringField(
        const QJsonObject& o, const char* key, const std::string& fallback, const std::string& prefix)
    {
        if (!o.contains(q(key)))
            return fallback;
        const QJsonValue v = o.value(q(key));
        if (!v.isString())
            throw InputError(prefix + key, "must be a string, got " + typeName(v));
        return v.toString().toStdString();
    }

    bool boolField(const QJsonObject& o, const char* key, bool fallback, const std::string& prefix)
    {
        if (!o.contains(q(key)))
            return fallback;
        const QJsonValue v = o.value(q(key));
        if (!v.isBool())
            throw InputError(prefix + key, "must be true or false, got " + typeName(v));
        return v.toBool();
    }

} // namespace jsonfield

using namespace jsonfield;

namespace {

    std::vector<int> intList(const QJsonValue& v, const std::string& field)
    {
        if (!v.isArray())
            throw InputError(field, "must be an array of integers, got " + typeName(v));
        const QJsonArray a = v.toArray();
        if (a.size() > kMaxLayers * 64)
            throw InputError(field, "has too many entries (" + std::to_string(a.size()) + ")");
        std::vector<int> out;
        for (qsizetype i = 0; i < a.size(); ++i)
            out.push_back(toInt(a[i], field + "[" + std::to_string(i) + "]"));
        return out;
    }

    // An integer (same for every layer) or one integer per layer. Longer lists are cut to n_layer
    // when `truncate` is set (Archai stores max-layer lists).
    std::vector<int> perLayer(const QJsonValue& v, const std::string& field, int nLayer, bool truncate)
    {
        if (v.isUndefined())
            throw InputError(field, "is required");
        if (!v.isArray())
            return std::vector<int>(std::size_t(std::max(nLayer, 0)), toInt(v, field));
        std::vector<int> out = intList(v, field);
        if (truncate && int(out.size()) > nLayer)
            out.resize(std::size_t(nLayer));
        if (int(out.size()) != nLayer)
            throw InputError(
                field, "needs one value per layer (" + std::to_string(nLayer) + "), got " + std::to_string(out.size()));
        return out;
    }

    QJsonArray toArray(const std::vector<int>& v)
    {
        QJsonArray a;
        for (int x : v)
            a.append(x);
        return a;
    }

    QJsonValue layerValue(const std::vector<int>& v)
    {
        bool same = true;
        for (int x : v)
            same = same && x == v.front();
        return same && !v.empty() ? QJsonValue(v.front()) : QJsonValue(toArray(v));
    }

    // Choices as a list or as {"min", "max", "step"}.
    std::vector<int> choices(const QJsonValue& v, const std::string& field)
    {
        if (v.isObject()) {
            const QJsonObject r = v.toObject();
            const int lo = intField(r, "min", field + ".");
            const int hi = intField(r, "max", field + ".");
            const int step = intField(r, "step", 1, field + ".");
            if (step < 1)
                throw InputError(field + ".step", "must be at least 1");
            if (hi < lo)
                throw InputError(field + ".max", "must be at least " + field + ".min (empty range)");
            if (static_cast<long long>(hi - lo) / step > 1'000'000)
                throw InputError(field, "has too many choices");
            return rangeChoices(lo, hi, step);
        }
        if (v.isArray())
            return intList(v, field);
        throw InputError(field, "must be a list of choices or {\"min\", \"max\", \"step\"}, got " + typeName(v));
    }

    QJsonValue choicesValue(const std::vector<int>& v)
    {
        if (v.size() >= 3) {
            const int step = v[1] - v[0];
            bool arithmetic = step > 0;
            for (std::size_t i = 1; arithmetic && i < v.size(); ++i)
                arithmetic = v[i] - v[i - 1] == step;
            if (arithmetic)
                return QJsonObject { { q("min"), v.front() }, { q("max"), v.back() }, { q("step"), step } };
        }
        return toArray(v);
    }

    ArchConfig archNative(const QJsonObject& o)
    {
        ArchConfig a;
        a.backbone = backboneFromName(stringField(o, "backbone", "gpt2"));
        a.nLayer = intField(o, "n_layer");
        if (a.nLayer < 1 || a.nLayer > kMaxLayers)
            throw InputError("n_layer", "must be between 1 and " + std::to_string(kMaxLayers));
        a.dModel = intField(o, "d_model");
        a.nHead = perLayer(o.value(q("n_head")), "n_head", a.nLayer, false);
        a.dInner = perLayer(o.value(q("d_inner")), "d_inner", a.nLayer, false);
        a.divVal = intField(o, "div_val", 1);
        a.dEmbed = intField(o, "d_embed", a.dModel);
        a.cutoffs = o.contains(q("cutoffs")) ? intList(o.value(q("cutoffs")), "cutoffs") : std::vector<int> {};
        a.vocabSize = intField(o, "vocab_size");
        a.seqLen = intField(o, "seq_len");
        a.memLen = a.backbone == Backbone::TransformerXL ? intField(o, "mem_len", 0) : 0;
        return a;
    }

    ArchConfig archHuggingFace(const QJsonObject& o)
    {
        // Missing keys take transformers' GPT2Config defaults.
        ArchConfig a;
        a.backbone = Backbone::Gpt2;
        a.dModel = intField(o, "n_embd", 768);
        a.nLayer = intField(o, "n_layer", 12);
        if (a.nLayer < 1 || a.nLayer > kMaxLayers)
            throw InputError("n_layer", "must be between 1 and " + std::to_string(kMaxLayers));
        // Archai's gpt2-flex config holds a list per layer; GPT2Config one value for all.
        const QJsonValue heads = o.value(q("n_head"));
        a.nHead = heads.isUndefined() ? std::vector<int>(std::size_t(a.nLayer), 12)
                                      : perLayer(heads, "n_head", a.nLayer, false);
        const QJsonValue inner = o.value(q("n_inner"));
        if (inner.isArray()) {
            a.dInner = perLayer(inner, "n_inner", a.nLayer, false);
        } else {
            const long long dInner =
                inner.isNull() || inner.isUndefined() ? 4LL * a.dModel : toInteger(inner, "n_inner");
            if (dInner < 1 || dInner > kMaxWidth)
                throw InputError("n_inner", "must be between 1 and " + std::to_string(kMaxWidth));
            a.dInner.assign(std::size_t(a.nLayer), int(dInner));
        }
        a.vocabSize = intField(o, "vocab_size", 50257);
        a.seqLen = intField(o, "n_positions", 1024);
        a.divVal = 1;
        a.dEmbed = a.dModel;
        return a;
    }

    ArchConfig archArchai(const QJsonObject& o)
    {
        ArchConfig a;
        const std::string type = stringField(o, "arch_type", "");
        if (type.find("gpt2") != std::string::npos)
            a.backbone = Backbone::Gpt2;
        else if (type.find("mem_transformer") != std::string::npos || type.find("transfo_xl") != std::string::npos)
            a.backbone = Backbone::TransformerXL;
        else
            throw InputError("arch_type", "must name gpt2 or mem_transformer, got \"" + type + "\"");
        a.nLayer = intField(o, "n_layer");
        if (a.nLayer < 1 || a.nLayer > kMaxLayers)
            throw InputError("n_layer", "must be between 1 and " + std::to_string(kMaxLayers));
        a.dModel = intField(o, "d_model");
        a.nHead = perLayer(o.value(q("n_head")), "n_head", a.nLayer, true);
        a.dInner = perLayer(o.value(q("d_inner")), "d_inner", a.nLayer, true);
        a.vocabSize = intField(o, "vocab_size");
        // The paper's adaptive embedding when the vocabulary is the preset's, else a plain one.
        const SearchSpace paper = preset(a.backbone == Backbone::Gpt2 ? "gpt2-lts" : "transformer-xl-lts");
        const bool paperVocab = a.vocabSize == paper.vocabSize;
        a.divVal = intField(o, "div_val", paperVocab ? paper.divVal : 1);
        a.dEmbed = intField(o, "d_embed", paperVocab ? paper.dEmbed : a.dModel);
        a.cutoffs = o.contains(q("cutoffs")) ? intList(o.value(q("cutoffs")), "cutoffs")
                                             : (paperVocab ? paper.cutoffs : std::vector<int> {});
        a.seqLen = intField(o, "tgt_len", intField(o, "n_positions", paper.seqLen));
        a.memLen = a.backbone == Backbone::TransformerXL ? intField(o, "mem_len", paper.memLen) : 0;
        return a;
    }

} // namespace

ArchConfig archFromJson(const QJsonObject& o, ArchDialect* dialect)
{
    ArchDialect d = ArchDialect::Native;
    if (o.contains(q("arch_type")))
        d = ArchDialect::ArchaiFlex;
    else if (o.contains(q("n_embd")) || stringField(o, "model_type", "") == "gpt2"
        || stringField(o, "model_type", "") == kGpt2FlexModelType)
        d = ArchDialect::HuggingFaceGpt2;
    ArchConfig a = d == ArchDialect::Native ? archNative(o)
        : d == ArchDialect::ArchaiFlex      ? archArchai(o)
                                            : archHuggingFace(o);
    validate(a);
    if (dialect)
        *dialect = d;
    return a;
}

QJsonObject archToJson(const ArchConfig& a)
{
    QJsonObject o { { q("backbone"), QString::fromStdString(backboneName(a.backbone)) }, { q("n_layer"), a.nLayer },
        { q("d_model"), a.dModel }, { q("n_head"), layerValue(a.nHead) }, { q("d_inner"), layerValue(a.dInner) },
        { q("div_val"), a.divVal }, { q("d_embed"), a.dEmbed }, { q("cutoffs"), toArray(a.cutoffs) },
        { q("vocab_size"), a.vocabSize }, { q("seq_len"), a.seqLen } };
    if (a.backbone == Backbone::TransformerXL)
        o.insert(q("mem_len"), a.memLen);
    return o;
}

QJsonObject archToHuggingFace(const ArchConfig& a)
{
    if (a.backbone != Backbone::Gpt2)
        throw InputError("backbone",
            "only GPT-2 architectures have a Hugging Face config here; export Transformer-XL as architecture JSON");
    const bool same = a.homogeneous();
    QJsonObject o { { q("model_type"), same ? q("gpt2") : q(kGpt2FlexModelType) },
        { q("architectures"), QJsonArray { same ? q("GPT2LMHeadModel") : q("GPT2LMHeadModelFlex") } },
        { q("n_embd"), a.dModel }, { q("n_layer"), a.nLayer },
        { q("n_head"), same ? QJsonValue(a.nHead.front()) : QJsonValue(toArray(a.nHead)) },
        { q("n_inner"), same ? QJsonValue(a.dInner.front()) : QJsonValue(toArray(a.dInner)) },
        { q("vocab_size"), a.vocabSize }, { q("n_positions"), a.seqLen }, { q("activation_function"), q("gelu_new") },
        { q("layer_norm_epsilon"), 1e-5 }, { q("tie_word_embeddings"), true } };
    if (!same)
        o.insert(q("primer_square"), false);
    QStringList notes;
    if (!same)
        notes << q("n_head and n_inner differ per layer: transformers' own GPT2Config cannot hold that, so this is "
                   "Archai's per-layer GPT2FlexConfig (model_type gpt2-flex), loaded by archai's GPT2LMHeadModelFlex");
    if (a.divVal != 1 || a.dEmbed != a.dModel)
        notes << q("GPT2Config has no adaptive input embedding or softmax: this config uses a plain tied embedding, "
                   "so its decoder is identical but its total parameter count differs");
    if (!notes.isEmpty())
        o.insert(q("lts_note"), notes.join(q("; ")));
    return o;
}

QJsonObject spaceToJson(const SearchSpace& s)
{
    QJsonObject o { { q("name"), QString::fromStdString(s.name) },
        { q("backbone"), QString::fromStdString(backboneName(s.backbone)) },
        { q("n_layer"), QJsonObject { { q("min"), s.nLayerMin }, { q("max"), s.nLayerMax } } },
        { q("d_model"), choicesValue(s.dModel) }, { q("n_head"), choicesValue(s.nHead) },
        { q("d_inner"), choicesValue(s.dInner) }, { q("homogeneous"), s.homogeneous },
        { q("min_inner_ratio"), s.minInnerRatio }, { q("div_val"), s.divVal }, { q("d_embed"), s.dEmbed },
        { q("cutoffs"), toArray(s.cutoffs) }, { q("vocab_size"), s.vocabSize }, { q("seq_len"), s.seqLen },
        { q("params_min"), double(s.paramsMin) }, { q("params_max"), double(s.paramsMax) },
        { q("latency_ceiling_ms"), s.latencyCeilingMs }, { q("memory_ceiling_mb"), s.memoryCeilingMb } };
    if (s.backbone == Backbone::TransformerXL)
        o.insert(q("mem_len"), s.memLen);
    return o;
}

SearchSpace spaceFromJson(const QJsonObject& o)
{
    SearchSpace s;
    const std::string base = stringField(o, "preset", "");
    if (!base.empty())
        s = preset(base);
    s.name = stringField(o, "name", base.empty() ? "custom" : base);
    s.backbone = backboneFromName(stringField(o, "backbone", backboneName(s.backbone)));
    if (o.contains(q("n_layer"))) {
        const QJsonValue v = o.value(q("n_layer"));
        if (!v.isObject())
            throw InputError("n_layer", "must be {\"min\": N, \"max\": M}, got " + typeName(v));
        s.nLayerMin = intField(v.toObject(), "min", "n_layer.");
        s.nLayerMax = intField(v.toObject(), "max", "n_layer.");
    } else if (base.empty()) {
        throw InputError("n_layer", "is required");
    }
    auto choiceField = [&](const char* key, std::vector<int>& target) {
        if (o.contains(q(key)))
            target = choices(o.value(q(key)), key);
        else if (base.empty())
            throw InputError(key, "is required");
    };
    choiceField("d_model", s.dModel);
    choiceField("n_head", s.nHead);
    choiceField("d_inner", s.dInner);
    s.homogeneous = boolField(o, "homogeneous", s.homogeneous);
    s.minInnerRatio = numberField(o, "min_inner_ratio", s.minInnerRatio);
    s.divVal = intField(o, "div_val", base.empty() ? 1 : s.divVal);
    s.dEmbed = intField(o, "d_embed", base.empty() ? (s.dModel.empty() ? 0 : s.dModel.front()) : s.dEmbed);
    if (o.contains(q("cutoffs")))
        s.cutoffs = intList(o.value(q("cutoffs")), "cutoffs");
    s.vocabSize = base.empty() ? intField(o, "vocab_size") : intField(o, "vocab_size", s.vocabSize);
    s.seqLen = base.empty() ? intField(o, "seq_len") : intField(o, "seq_len", s.seqLen);
    s.memLen = intField(o, "mem_len", s.memLen);
    auto bound = [&](const char* key, std::int64_t fallback) -> std::int64_t {
        if (!o.contains(q(key)))
            return fallback;
        const long long v = toInteger(o.value(q(key)), key);
        if (v < 0)
            throw InputError(key, "must not be negative");
        return v;
    };
    s.paramsMin = bound("params_min", s.paramsMin);
    s.paramsMax = bound("params_max", s.paramsMax);
    s.latencyCeilingMs = numberField(o, "latency_ceiling_ms", s.latencyCeilingMs);
    s.memoryCeilingMb = numberField(o, "memory_ceiling_mb", s.memoryCeilingMb);
    s.validate();
    return s;
}

QJsonObject paramsToJson(const SearchParams& p)
{
    return { { q("algorithm"), QString::fromStdString(algorithmName(p.algorithm)) }, { q("iterations"), p.iterations },
        { q("parents"), p.parents }, { q("mutants"), p.mutants }, { q("crossovers"), p.crossovers },
        { q("mutation_prob"), p.mutationProb }, { q("crossover_prob"), p.crossoverProb }, { q("seed"), double(p.seed) },
        { q("objectives"), QString::fromStdString(objectivesString(p.objectives)) },
        { q("time_budget_s"), p.timeBudgetS }, { q("screening"), p.screening },
        { q("screening_margin"), p.screeningMargin }, { q("presample"), p.presample },
        { q("estimate_rounds"), p.estimateRounds } };
}

SearchParams paramsFromJson(const QJsonObject& o)
{
    const std::string prefix = "search.";
    SearchParams p;
    p.algorithm = algorithmFromName(stringField(o, "algorithm", "evolution", prefix), prefix + "algorithm");
    p.iterations = intField(o, "iterations", p.iterations, prefix);
    p.parents = intField(o, "parents", p.parents, prefix);
    p.mutants = intField(o, "mutants", p.mutants, prefix);
    p.crossovers = intField(o, "crossovers", p.crossovers, prefix);
    p.mutationProb = numberField(o, "mutation_prob", p.mutationProb, prefix);
    p.crossoverProb = numberField(o, "crossover_prob", p.crossoverProb, prefix);
    if (o.contains(q("seed"))) {
        const long long seed = toInteger(o.value(q("seed")), prefix + "seed");
        if (seed < 0)
            throw InputError(prefix + "seed", "must not be negative");
        p.seed = std::uint64_t(seed);
    }
    p.objectives = parseObjectives(stringField(o, "objectives", "params,latency", prefix), prefix + "objectives");
    p.timeBudgetS = numberField(o, "time_budget_s", 0, prefix);
    p.screening = boolField(o, "screening", p.screening, prefix);
    p.screeningMargin = numberField(o, "screening_margin", p.screeningMargin, prefix);
    p.presample = intField(o, "presample", p.presample, prefix);
    p.estimateRounds = intField(o, "estimate_rounds", p.estimateRounds, prefix);
    p.validate();
    return p;
}

QJsonObject protocolToJson(const MeasureProtocol& p)
{
    QJsonObject o { { q("device"), QString::fromStdString(p.device) }, { q("threads"), p.threads },
        { q("batch"), p.batch }, { q("seq_len"), p.seqLen }, { q("warmup"), p.warmup }, { q("repeats"), p.repeats },
        { q("min_repeats"), p.minRepeats }, { q("tolerance"), p.tolerance } };
    // Only a generation says so: a scoring protocol keeps the form (and the cache file) it had
    // before there were two workloads.
    if (p.workload == Workload::Generate) {
        o.insert(q("workload"), q("generate"));
        o.insert(q("prompt"), p.prompt);
        o.insert(q("new_tokens"), p.generate);
    }
    if (p.precision != Precision::Fp32) // likewise
        o.insert(q("precision"), QString::fromStdString(precisionName(p.precision)));
    return o;
}

MeasureProtocol protocolFromJson(const QJsonObject& o)
{
    const std::string prefix = "device.";
    MeasureProtocol p;
    p.device = stringField(o, "device", p.device, prefix);
    p.threads = intField(o, "threads", p.threads, prefix);
    p.batch = intField(o, "batch", p.batch, prefix);
    p.seqLen = intField(o, "seq_len", p.seqLen, prefix);
    p.warmup = intField(o, "warmup", p.warmup, prefix);
    p.repeats = intField(o, "repeats", p.repeats, prefix);
    p.minRepeats = intField(o, "min_repeats", p.minRepeats, prefix);
    p.tolerance = numberField(o, "tolerance", p.tolerance, prefix);
    const std::string workload = stringField(o, "workload", workloadName(p.workload), prefix);
    if (workload != "score" && workload != "generate")
        throw InputError(prefix + "workload", "must be \"score\" or \"generate\", not \"" + workload + "\"");
    p.workload = workload == "generate" ? Workload::Generate : Workload::Score;
    p.prompt = intField(o, "prompt", p.prompt, prefix);
    p.generate = intField(o, "new_tokens", p.generate, prefix);
    p.precision = parsePrecision(stringField(o, "precision", precisionName(p.precision), prefix), prefix + "precision");
    try {
        p.validate();
    } catch (const InputError& e) {
        throw InputError(prefix + e.field(), std::string(e.what()).substr(e.field().size() + 2));
    }
    return p;
}

SearchConfig searchConfigFromJson(const QJsonObject& o)
{
    SearchConfig c;
    const QJsonObject space = o.contains(q("space")) ? o.value(q("space")).toObject() : o;
    // One architecture (ours, Hugging Face's or Archai's) rather than ranges of choices.
    if (space.value(q("n_layer")).isDouble() || space.contains(q("n_embd")) || space.contains(q("arch_type")))
        throw InputError("n_layer",
            "this is an architecture file, not a search configuration (a configuration gives ranges, e.g. "
            "\"n_layer\": {\"min\": 2, \"max\": 16}; measure one architecture with lts-search eval FILE)");
    c.space = spaceFromJson(space);
    for (const char* section : { "search", "device" })
        if (o.contains(q(section)) && !o.value(q(section)).isObject())
            throw InputError(section, "must be an object");
    c.search = paramsFromJson(o.value(q("search")).toObject());
    const QJsonObject device = o.value(q("device")).toObject();
    c.protocol = protocolFromJson(device);
    const Workload workload = workloadOf(c.search.objectives);
    if (device.contains(q("workload")) && c.protocol.workload != workload)
        throw InputError("device.workload",
            "is \"" + workloadName(c.protocol.workload) + "\" but the objectives ("
                + objectivesString(c.search.objectives) + ") are measured on \"" + workloadName(workload) + "\"");
    c.protocol.workload = workload;
    if (device.contains(q("remote"))) {
        if (!device.value(q("remote")).isArray())
            throw InputError("device.remote", "must be a list of ssh:// device addresses");
        const QJsonArray remote = device.value(q("remote")).toArray();
        if (remote.size() > kMaxRemoteDevices)
            throw InputError("device.remote", "holds at most " + std::to_string(kMaxRemoteDevices) + " devices");
        for (int i = 0; i < remote.size(); ++i) {
            const std::string field = "device.remote[" + std::to_string(i) + "]";
            if (!remote[i].isString())
                throw InputError(field, "must be a string");
            const DeviceSpec d = DeviceSpec::parse(remote[i].toString().toStdString(), field);
            if (d.device != c.protocol.device)
                throw InputError(field,
                    "measures on " + d.device + " but device.device is " + c.protocol.device
                        + "; give them alike (a pool is of one kind)");
            c.remoteDevices.push_back(d.url());
        }
    }
    c.remoteProgram = stringField(device, "remote_program", c.remoteProgram, "device.");
    if (c.remoteProgram.empty() || c.remoteProgram.size() > 4096
        || c.remoteProgram.find_first_of("\n\r") != std::string::npos)
        throw InputError("device.remote_program", "must be a path or program name on one line");
    return c;
}

QJsonObject searchConfigToJson(const SearchConfig& c)
{
    QJsonObject o = spaceToJson(c.space);
    o.insert(q("search"), paramsToJson(c.search));
    QJsonObject device = protocolToJson(c.protocol);
    if (!c.remoteDevices.empty()) {
        QJsonArray remote;
        for (const auto& url : c.remoteDevices)
            remote.append(QString::fromStdString(url));
        device.insert(q("remote"), remote);
        device.insert(q("remote_program"), QString::fromStdString(c.remoteProgram));
    }
    o.insert(q("device"), device);
    return o;
}

QJsonObject measurementToJson(const Measurement& m)
{
    QJsonObject o { { q("repeats"), m.repeats }, { q("weights_mb"), m.weightsMb },
        { q("activations_mb"), m.activationsMb }, { q("cpu_utilisation"), m.cpuUtilisation },
        { q("build_ms"), m.buildMs }, { q("measure_ms"), m.measureMs }, { q("timed_ms"), m.timedMs } };
    if (m.generation) { // no scoring pass was timed: no latency_ms
        for (const auto& [key, value] : std::initializer_list<std::pair<const char*, double>> {
                 { "prefill_ms", m.prefillMs }, { "prefill_iqr_ms", m.prefillIqrMs },
                 { "decode_ms_per_token", m.decodeMsPerToken }, { "decode_iqr_ms", m.decodeIqrMs },
                 { "tokens_per_s", m.tokensPerS }, { "generation_peak_memory_mb", m.peakMemoryMb },
                 { "cache_mb", m.cacheMb }, { "decode_steps", double(m.decodeSteps) } })
            o.insert(q(key), value);
        if (m.confirmed && m.firstDecodeMsPerToken > 0) {
            o.insert(q("first_prefill_ms"), m.firstPrefillMs);
            o.insert(q("first_decode_ms_per_token"), m.firstDecodeMsPerToken);
        }
    } else {
        o.insert(q("latency_ms"), m.latencyMs);
        o.insert(q("latency_iqr_ms"), m.latencyIqrMs);
        o.insert(q("latency_min_ms"), m.latencyMinMs);
        o.insert(q("latency_max_ms"), m.latencyMaxMs);
        o.insert(q("peak_memory_mb"), m.peakMemoryMb);
    }
    if (m.latencyQ3Ms > 0) {
        o.insert(q("latency_q1_ms"), m.latencyQ1Ms);
        o.insert(q("latency_q3_ms"), m.latencyQ3Ms);
    }
    if (m.coldMs > 0)
        o.insert(q("cold_ms"), m.coldMs);
    if (m.retimed > 0)
        o.insert(q("retimed"), m.retimed);
    if (m.confirmed) {
        o.insert(q("confirmed"), true);
        if (m.firstLatencyMs > 0)
            o.insert(q("first_latency_ms"), m.firstLatencyMs);
    }
    if (m.status != Measurement::Status::Ok)
        o.insert(q("error"), QString::fromStdString(m.error));
    if (m.fromDeviceCache)
        o.insert(q("from_cache"), true);
    return o;
}

QJsonObject candidateToJson(const Candidate& c)
{
    QJsonObject o = measurementToJson(c.measurement);
    if (c.status == Candidate::Status::Estimated) {
        // Never measured: latency_ms and peak_memory_mb are the calibrated estimates, and nothing
        // only a measurement knows is written.
        for (const char* key : { "latency_iqr_ms", "latency_min_ms", "latency_max_ms", "repeats", "activations_mb",
                 "cpu_utilisation", "build_ms", "measure_ms", "timed_ms" })
            o.remove(q(key));
        if (c.measurement.peakMemoryMb <= 0)
            o.remove(q("peak_memory_mb"));
    }
    o.insert(q("id"), c.id);
    o.insert(q("arch"), archToJson(c.arch));
    o.insert(q("decoder_params"), double(c.decoderParams));
    o.insert(q("total_params"), double(c.totalParams));
    o.insert(q("status"), QString::fromStdString(candidateStatusName(c.status)));
    o.insert(q("iteration"), c.iteration);
    o.insert(q("elapsed_s"), c.elapsedS);
    if (c.latencyEstimateMs > 0)
        o.insert(q("latency_estimate_ms"), c.latencyEstimateMs);
    if (c.memoryEstimateMb > 0)
        o.insert(q("peak_memory_estimate_mb"), c.memoryEstimateMb);
    if (c.audit)
        o.insert(q("audit"), true);
    return o;
}

Candidate candidateFromJson(const QJsonObject& o)
{
    if (!o.value(q("arch")).isObject())
        throw InputError("arch", "must be an architecture object");
    Candidate c = candidateOf(archFromJson(o.value(q("arch")).toObject()));
    c.id = intField(o, "id", 0);
    if (o.contains(q("decoder_params")) && toInteger(o.value(q("decoder_params")), "decoder_params") != c.decoderParams)
        throw InputError("decoder_params", "does not match the architecture (" + std::to_string(c.decoderParams) + ")");
    const std::string status = stringField(o, "status", "ok");
    if (status == "ok")
        c.status = Candidate::Status::Ok;
    else if (status == "failed")
        c.status = Candidate::Status::Failed;
    else if (status == "over_ceiling")
        c.status = Candidate::Status::OverCeiling;
    else if (status == "estimated")
        c.status = Candidate::Status::Estimated;
    else
        throw InputError("status", "must be ok, failed, over_ceiling or estimated, got \"" + status + "\"");
    Measurement& m = c.measurement;
    m.status = c.status == Candidate::Status::Failed ? Measurement::Status::Failed : Measurement::Status::Ok;
    m.error = stringField(o, "error", "");
    m.latencyMs = numberField(o, "latency_ms", 0);
    m.latencyIqrMs = numberField(o, "latency_iqr_ms", 0);
    m.latencyQ1Ms = numberField(o, "latency_q1_ms", 0);
    m.latencyQ3Ms = numberField(o, "latency_q3_ms", 0);
    m.latencyMinMs = numberField(o, "latency_min_ms", m.latencyMs);
    m.latencyMaxMs = numberField(o, "latency_max_ms", m.latencyMs);
    m.repeats = intField(o, "repeats", 0);
    m.peakMemoryMb = numberField(o, "peak_memory_mb", 0);
    m.weightsMb = numberField(o, "weights_mb", 0);
    m.activationsMb = numberField(o, "activations_mb", 0);
    m.cpuUtilisation = numberField(o, "cpu_utilisation", 0);
    m.buildMs = numberField(o, "build_ms", 0);
    m.measureMs = numberField(o, "measure_ms", 0);
    m.timedMs = numberField(o, "timed_ms", 0);
    m.fromDeviceCache = boolField(o, "from_cache", false);
    m.coldMs = numberField(o, "cold_ms", 0);
    m.retimed = intField(o, "retimed", 0);
    m.confirmed = boolField(o, "confirmed", false);
    m.firstLatencyMs = numberField(o, "first_latency_ms", 0);
    m.generation = o.contains(q("decode_ms_per_token"));
    if (m.generation) {
        m.prefillMs = numberField(o, "prefill_ms", 0);
        m.prefillIqrMs = numberField(o, "prefill_iqr_ms", 0);
        m.decodeMsPerToken = numberField(o, "decode_ms_per_token", 0);
        m.decodeIqrMs = numberField(o, "decode_iqr_ms", 0);
        m.tokensPerS = numberField(o, "tokens_per_s", 0);
        m.peakMemoryMb = numberField(o, "generation_peak_memory_mb", 0);
        m.cacheMb = numberField(o, "cache_mb", 0);
        m.decodeSteps = intField(o, "decode_steps", 0);
        m.firstPrefillMs = numberField(o, "first_prefill_ms", 0);
        m.firstDecodeMsPerToken = numberField(o, "first_decode_ms_per_token", 0);
        if (c.status == Candidate::Status::Ok && (m.prefillMs < 0 || m.decodeMsPerToken < 0 || m.cacheMb < 0))
            throw InputError("decode_ms_per_token", "measurements must not be negative");
    }
    if (c.status == Candidate::Status::Estimated)
        m.latencyMinMs = m.latencyMaxMs = 0; // no timed pass
    if (c.status == Candidate::Status::Ok && (m.latencyMs < 0 || m.peakMemoryMb < 0))
        throw InputError("latency_ms", "measurements must not be negative");
    c.iteration = intField(o, "iteration", 0);
    c.elapsedS = numberField(o, "elapsed_s", 0);
    c.latencyEstimateMs = numberField(o, "latency_estimate_ms", 0);
    if (c.latencyEstimateMs < 0)
        throw InputError("latency_estimate_ms", "must not be negative");
    c.memoryEstimateMb = numberField(o, "peak_memory_estimate_mb", 0);
    if (c.memoryEstimateMb < 0)
        throw InputError("peak_memory_estimate_mb", "must not be negative");
    c.audit = boolField(o, "audit", false);
    return c;
}

QJsonObject parseJsonObject(const QByteArray& bytes, const std::string& what)
{
    QJsonParseError error {};
    const QJsonDocument doc = QJsonDocument::fromJson(bytes, &error);
    if (error.error != QJsonParseError::NoError)
        throw InputError(what,
            "is not valid JSON: " + error.errorString().toStdString() + " at offset " + std::to_string(error.offset));
    if (!doc.isObject())
        throw InputError(what, "must hold a JSON object");
    return doc.object();
}

QJsonObject readJsonFile(const QString& path)
{
    QFile f(path);
    const std::string name = QFileInfo(path).fileName().toStdString();
    if (!f.open(QIODevice::ReadOnly))
        throw InputError(name, "cannot be read: " + f.errorString().toStdString());
    if (f.size() > kMaxJsonFileBytes)
        throw InputError(name, "is larger than " + std::to_string(kMaxJsonFileBytes >> 20) + " MiB");
    return parseJsonObject(f.readAll(), name);
}

void writeFileAtomically(const QString& path, const QByteArray& bytes)
{
    QSaveFile f(path);
    if (!f.open(QIODevice::WriteOnly) || f.write(bytes) != bytes.size() || !f.commit())
        throw std::runtime_error(
            QDir::toNativeSeparators(path).toStdString() + ": cannot write: " + f.errorString().toStdString());
}

} // namespace lts
