#include "candidate.h"

#include "errors.h"
#include "paramcount.h"
#include "pareto.h"

#include <sstream>

namespace lts {

std::vector<double> Candidate::point(const std::vector<Objective>& objectives) const
{
    std::vector<double> p;
    p.reserve(objectives.size());
    for (Objective o : objectives) {
        switch (o) {
        case Objective::DecoderParams:
            p.push_back(-double(decoderParams));
            break;
        case Objective::Latency:
            p.push_back(measurement.latencyMs);
            break;
        case Objective::Memory:
            p.push_back(measurement.peakMemoryMb);
            break;
        }
    }
    return p;
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
    }
    return "params";
}

std::vector<Objective> parseObjectives(const std::string& list, const std::string& field)
{
    std::vector<Objective> out { Objective::DecoderParams };
    bool sawParams = false;
    std::istringstream in(list);
    std::string item;
    while (std::getline(in, item, ',')) {
        if (item == "params") {
            sawParams = true;
        } else if (item == "latency" || item == "memory") {
            const Objective o = item == "latency" ? Objective::Latency : Objective::Memory;
            for (Objective seen : out)
                if (seen == o)
                    throw InputError(field, "\"" + item + "\" is listed twice");
            out.push_back(o);
        } else {
            throw InputError(field, "unknown objective \"" + item + "\" (use params, latency, memory)");
        }
    }
    if (!sawParams)
        throw InputError(field, "must include params (the perplexity proxy)");
    if (out.size() < 2)
        throw InputError(field, "needs latency, memory or both besides params");
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
