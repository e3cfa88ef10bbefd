#include "runstore.h"

#include <QFileInfo>

#include <algorithm>

namespace studio {

namespace {

    // Distinct on both light and dark backgrounds, and told apart by most colour-blind viewers.
    const QColor kLayerColors[] = { QColor(0x1f, 0x77, 0xb4), QColor(0xd6, 0x27, 0x28), QColor(0x2c, 0xa0, 0x2c),
        QColor(0x94, 0x67, 0xbd), QColor(0xff, 0x7f, 0x0e), QColor(0x17, 0xbe, 0xcf), QColor(0x8c, 0x56, 0x4b),
        QColor(0xe3, 0x77, 0xc2) };

    void offer(lts::FrontTracker& front, const RunLayer& layer, std::size_t index)
    {
        const lts::Candidate& c = layer.candidates[index];
        if (c.status == lts::Candidate::Status::Ok) // frontierOf's rule: only Ok candidates
            front.offer(index, c.point(layer.config.search.objectives));
    }

} // namespace

RunLayer layerFromRun(const lts::LoadedRun& run, const QString& folder)
{
    RunLayer layer;
    const QFileInfo info(folder);
    layer.name = info.fileName().isEmpty() ? folder : info.fileName();
    layer.folder = folder;
    layer.config = run.info.config;
    layer.candidates = run.candidates;
    layer.latencyEstimate = run.info.latencyEstimate;
    layer.memoryEstimate = run.info.memoryEstimate;
    const auto& objectives = layer.config.search.objectives;
    layer.frontier = lts::frontierOf(layer.candidates, objectives);
    // Convergence is rebuilt per iteration from the candidates, on the run's own reference point;
    // one pass in iteration order with a growing front, so a long run opens in linear time.
    std::vector<std::size_t> order(layer.candidates.size());
    for (std::size_t i = 0; i < order.size(); ++i)
        order[i] = i;
    std::stable_sort(order.begin(), order.end(),
        [&](std::size_t a, std::size_t b) { return layer.candidates[a].iteration < layer.candidates[b].iteration; });
    const bool withVolume = run.info.hvReference.size() == objectives.size();
    lts::FrontTracker front;
    double elapsed = 0;
    for (std::size_t k = 0; k < order.size(); ++k) {
        const lts::Candidate& c = layer.candidates[order[k]];
        elapsed = std::max(elapsed, c.elapsedS);
        if (c.status == lts::Candidate::Status::Ok)
            front.offer(order[k], c.point(objectives));
        if (k + 1 < order.size() && layer.candidates[order[k + 1]].iteration == c.iteration)
            continue; // the iteration is not over yet
        ConvergencePoint p;
        p.iteration = c.iteration;
        p.elapsedS = elapsed;
        p.frontierSize = int(front.ids().size());
        p.hypervolume = withVolume ? lts::hypervolume(front.points(), run.info.hvReference) : 0;
        layer.history.push_back(p);
    }
    return layer;
}

RunStore::RunStore(QObject* parent)
    : QObject(parent)
{
}

int RunStore::addLayer(RunLayer layer)
{
    layer.color = kLayerColors[m_colorsUsed++ % std::size(kLayerColors)];
    m_layers.push_back(std::move(layer));
    m_fronts.emplace_back();
    Q_EMIT layersChanged();
    return int(m_layers.size()) - 1;
}

void RunStore::clear()
{
    m_layers.clear();
    m_fronts.clear();
    m_colorsUsed = 0;
    const bool hadSelection = !m_selection.empty();
    m_selection.clear();
    Q_EMIT layersChanged();
    if (hadSelection)
        Q_EMIT selectionChanged();
}

const lts::Candidate& RunStore::candidate(PointRef p) const
{
    return m_layers[std::size_t(p.layer)].candidates[std::size_t(p.index)];
}

bool RunStore::contains(PointRef p) const
{
    return p.layer >= 0 && p.layer < layerCount() && p.index >= 0
        && p.index < int(m_layers[std::size_t(p.layer)].candidates.size());
}

int RunStore::primaryLayer() const
{
    for (int i = 0; i < layerCount(); ++i)
        if (m_layers[std::size_t(i)].live)
            return i;
    return layerCount() - 1;
}

void RunStore::appendCandidates(int index, const std::vector<lts::Candidate>& batch)
{
    if (index < 0 || index >= layerCount() || batch.empty())
        return;
    RunLayer& l = m_layers[std::size_t(index)];
    std::optional<lts::FrontTracker>& front = m_fronts[std::size_t(index)];
    if (!front) {
        front.emplace();
        for (std::size_t i = 0; i < l.candidates.size(); ++i)
            offer(*front, l, i);
    }
    const std::size_t first = l.candidates.size();
    l.candidates.insert(l.candidates.end(), batch.begin(), batch.end());
    for (std::size_t i = first; i < l.candidates.size(); ++i)
        offer(*front, l, i);
    // FrontTracker keeps its ids in offer order, which is index order here; sorting an
    // already-sorted front is cheap and keeps frontierOf's order should that ever change.
    std::vector<std::size_t> ids = front->ids();
    if (!std::is_sorted(ids.begin(), ids.end()))
        std::sort(ids.begin(), ids.end());
    const bool frontierMoved = ids != l.frontier;
    if (frontierMoved)
        l.frontier = std::move(ids);
    Q_EMIT candidatesChanged(index);
    if (frontierMoved)
        Q_EMIT frontierChanged(index);
}

void RunStore::replaceCandidates(int index, const std::vector<lts::Candidate>& updates)
{
    if (index < 0 || index >= layerCount() || updates.empty())
        return;
    RunLayer& l = m_layers[std::size_t(index)];
    for (const lts::Candidate& u : updates) {
        // Confirmations concern recent candidates: search from the back.
        const auto it = std::find_if(
            l.candidates.rbegin(), l.candidates.rend(), [&](const lts::Candidate& c) { return c.id == u.id; });
        if (it != l.candidates.rend())
            *it = u;
    }
    std::optional<lts::FrontTracker>& front = m_fronts[std::size_t(index)];
    front.emplace();
    for (std::size_t i = 0; i < l.candidates.size(); ++i)
        offer(*front, l, i);
    std::vector<std::size_t> ids = front->ids();
    std::sort(ids.begin(), ids.end());
    l.frontier = std::move(ids);
    Q_EMIT candidatesReplaced(index);
    Q_EMIT frontierChanged(index);
}

void RunStore::appendHistory(int index, const ConvergencePoint& point)
{
    if (index < 0 || index >= layerCount())
        return;
    m_layers[std::size_t(index)].history.push_back(point);
    Q_EMIT historyChanged(index);
}

void RunStore::setLive(int index, bool live)
{
    if (index < 0 || index >= layerCount() || m_layers[std::size_t(index)].live == live)
        return;
    m_layers[std::size_t(index)].live = live;
    Q_EMIT layersChanged(); // the views say what a layer being written means (the plot's hint)
}

bool RunStore::onFrontier(PointRef p) const
{
    if (!contains(p))
        return false;
    const auto& front = m_layers[std::size_t(p.layer)].frontier;
    return std::find(front.begin(), front.end(), std::size_t(p.index)) != front.end();
}

void RunStore::setEstimateQuality(int index, const lts::EstimateQuality& latency, const lts::EstimateQuality& memory)
{
    if (index < 0 || index >= layerCount())
        return;
    m_layers[std::size_t(index)].latencyEstimate = latency;
    m_layers[std::size_t(index)].memoryEstimate = memory;
}

void RunStore::setSelection(std::vector<PointRef> refs)
{
    refs.erase(std::remove_if(refs.begin(), refs.end(), [this](PointRef p) { return !contains(p); }), refs.end());
    // Keep the caller's first element first: it is the one the details panel shows.
    std::vector<PointRef> unique;
    for (PointRef p : refs)
        if (std::find(unique.begin(), unique.end(), p) == unique.end())
            unique.push_back(p);
    if (unique == m_selection)
        return;
    m_selection = std::move(unique);
    Q_EMIT selectionChanged();
}

std::vector<PointRef> RunStore::allFrontierPoints() const
{
    std::vector<PointRef> out;
    for (int l = 0; l < layerCount(); ++l)
        for (std::size_t i : m_layers[std::size_t(l)].frontier)
            out.push_back({ l, int(i) });
    return out;
}

std::vector<lts::Candidate> RunStore::exportSet() const
{
    std::vector<PointRef> refs = m_selection;
    if (refs.empty())
        refs = allFrontierPoints();
    std::vector<lts::Candidate> out;
    for (PointRef p : refs)
        out.push_back(candidate(p));
    return out;
}

PointRef RunStore::fastestAbove(double decoderParams) const
{
    // Fastest is the least latency in scoring runs, the least decode per token in generation
    // runs; the two are not compared, so runs of the first shown run's workload are searched.
    PointRef best;
    if (layerCount() == 0)
        return best;
    const lts::Workload workload = layer(0).config.protocol.workload;
    auto time = [](const lts::Measurement& m) { return m.generation ? m.decodeMsPerToken : m.latencyMs; };
    for (int l = 0; l < layerCount(); ++l) {
        if (layer(l).config.protocol.workload != workload)
            continue;
        const auto& candidates = layer(l).candidates;
        for (std::size_t i = 0; i < candidates.size(); ++i) {
            const lts::Candidate& c = candidates[i];
            if (c.status != lts::Candidate::Status::Ok || double(c.decoderParams) < decoderParams)
                continue;
            if (!best.valid() || time(c.measurement) < time(candidate(best).measurement))
                best = { l, int(i) };
        }
    }
    return best;
}

} // namespace studio
