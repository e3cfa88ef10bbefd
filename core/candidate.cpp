#include "candidate.h"

#include "errors.h"
#include "paramcount.h"
#include "pareto.h"

#include <algorithm>
#include <iterator>
#include <sstream>

namespace lts {

double objectiveValue(const Measurement& m, Objective o)
{
    switch (o) {
    case Objective::DecoderParams:
        break;
    case Objective::Latency:
        return m.latencyMs;
    case Objective::Memory:
        return m.peakMemoryMb;
    case Objective::Prefill:
        return m.prefillMs;
    case Objective::Decode:
        return m.decodeMsPerToken;
    }
    return 0;
}

Workload workloadOf(const std::vector<Objective>& objectives)
{
    for (Objective o : objectives)
        if (o == Objective::Prefill || o == Objective::Decode)
            return Workload::Generate;
    return Workload::Score;
}

std::vector<double> Candidate::point(const std::vector<Objective>& objectives) const
{
    std::vector<double> p;
    p.reserve(objectives.size());
    for (Objective o : objectives)
        p.push_back(o == Objective::DecoderParams ? -double(decoderParams) : objectiveValue(measurement, o));
    return p;
}

std::string workloadName(Workload w)
{
    return w == Workload::Generate ? "generate" : "score";
}

std::string precisionName(Precision p)
{
    switch (p) {
    case Precision::Bf16:
        return "bf16";
    case Precision::Fp16:
        return "fp16";
    case Precision::Int8:
        return "int8";
    case Precision::Fp32:
        break;
    }
    return "fp32";
}

Precision parsePrecision(const std::string& name, const std::string& field)
{
    for (Precision p : { Precision::Fp32, Precision::Bf16, Precision::Fp16, Precision::Int8 })
        if (name == precisionName(p))
            return p;
    throw InputError(field, "must be fp32, bf16, fp16 or int8, not \"" + name + "\"");
}

Measurement Measurement::first() const
{
    Measurement m = *this;
    m.latencyMs = firstLatencyMs;
    m.prefillMs = firstPrefillMs;
    m.decodeMsPerToken = firstDecodeMsPerToken;
    m.tokensPerS = firstDecodeMsPerToken > 0 ? tokensPerS * decodeMsPerToken / firstDecodeMsPerToken : 0;
    m.confirmed = false;
    m.firstLatencyMs = m.firstPrefillMs = m.firstDecodeMsPerToken = 0;
    return m;
}

Candidate candidateOf(const ArchConfig& arch)
{
    Candidate c;
    c.arch = arch;
    const ParamBreakdown p = countParams(arch);
    c.decoderParams = p.decoder();
    c.totalParams = p.total();
    return c;
}

std::string candidateStatusName(Candidate::Status s)
{
    switch (s) {
    case Candidate::Status::Ok:
        return "ok";
    case Candidate::Status::Failed:
        return "failed";
    case Candidate::Status::OverCeiling:
        return "over_ceiling";
    case Candidate::Status::Estimated:
        return "estimated";
    }
    return "ok";
}

std::string objectiveName(Objective o)
{
    switch (o) {
    case Objective::DecoderParams:
        return "params";
    case Objective::Latency:
        return "latency";
    case Objective::Memory:
        return "memory";
    case Objective::Prefill:
        return "prefill";
    case Objective::Decode:
        return "decode";
    }
    return "params";
}

std::vector<Objective> parseObjectives(const std::string& list, const std::string& field)
{
    constexpr Objective kCosts[] = { Objective::Latency, Objective::Memory, Objective::Prefill, Objective::Decode };
    std::vector<Objective> out { Objective::DecoderParams };
    bool sawParams = false;
    std::istringstream in(list);
    std::string item;
    while (std::getline(in, item, ',')) {
        if (item == "params") {
            sawParams = true;
            continue;
        }
        const Objective* o =
            std::find_if(std::begin(kCosts), std::end(kCosts), [&](Objective c) { return objectiveName(c) == item; });
        if (o == std::end(kCosts))
            throw InputError(
                field, "unknown objective \"" + item + "\" (use params, latency, memory, prefill, decode)");
        if (std::find(out.begin(), out.end(), *o) != out.end())
            throw InputError(field, "\"" + item + "\" is listed twice");
        out.push_back(*o);
    }
    if (!sawParams)
        throw InputError(field, "must include params (the perplexity proxy)");
    if (out.size() < 2)
        throw InputError(field, "needs a cost besides params: latency, memory, prefill or decode");
    if (workloadOf(out) == Workload::Generate && std::find(out.begin(), out.end(), Objective::Latency) != out.end())
        throw InputError(field,
            "latency (a scoring pass) does not go with prefill or decode (generation): each search measures one "
            "workload");
    return out;
}

std::string objectivesString(const std::vector<Objective>& objectives)
{
    std::string s;
    for (Objective o : objectives)
        s += (s.empty() ? "" : ",") + objectiveName(o);
    return s;
}

std::vector<std::size_t> frontierOf(const std::vector<Candidate>& all, const std::vector<Objective>& objectives)
{
    std::vector<std::size_t> ok;
    std::vector<Point> points;
    for (std::size_t i = 0; i < all.size(); ++i) {
        if (all[i].status != Candidate::Status::Ok)
            continue;
        ok.push_back(i);
        points.push_back(all[i].point(objectives));
    }
    std::vector<std::size_t> front;
    for (std::size_t j : paretoFront(points))
        front.push_back(ok[j]);
    return front;
}

} // namespace lts
