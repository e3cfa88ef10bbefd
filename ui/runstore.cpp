#include "runstore.h"

#include "pareto.h"

#include <QFileInfo>

#include <algorithm>

namespace studio {

namespace {

// Distinct on both light and dark backgrounds, and told apart by most colour-blind viewers.
const QColor kLayerColors[]
    = {QColor(0x1f, 0x77, 0xb4), QColor(0xd6, 0x27, 0x28), QColor(0x2c, 0xa0, 0x2c), QColor(0x94, 0x67, 0xbd),
        QColor(0xff, 0x7f, 0x0e), QColor(0x17, 0xbe, 0xcf), QColor(0x8c, 0x56, 0x4b), QColor(0xe3, 0x77, 0xc2)};

double frontierHypervolume(const std::vector<lts::Candidate>& all, const std::vector<std::size_t>& frontier,
    const std::vector<lts::Objective>& objectives, const std::vector<double>& ref)
{
    if (ref.size() != objectives.size())
        return 0;
    std::vector<lts::Point> points;
    for (std::size_t i : frontier)
        points.push_back(all[i].point(objectives));
    return lts::hypervolume(points, ref);
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
    const auto& objectives = layer.config.search.objectives;
    layer.frontier = lts::frontierOf(layer.candidates, objectives);
    // Convergence is rebuilt per iteration from the candidates, on the run's own reference point.
    int lastIteration = -1;
    for (const auto& c : layer.candidates)
        lastIteration = std::max(lastIteration, c.iteration);
    for (int it = 0; it <= lastIteration; ++it) {
        std::vector<lts::Candidate> upTo;
        double elapsed = 0;
        for (const auto& c : layer.candidates)
            if (c.iteration <= it) {
                upTo.push_back(c);
                elapsed = std::max(elapsed, c.elapsedS);
            }
        const auto front = lts::frontierOf(upTo, objectives);
        ConvergencePoint p;
        p.iteration = it;
        p.elapsedS = elapsed;
        p.frontierSize = int(front.size());
        p.hypervolume = frontierHypervolume(upTo, front, objectives, run.info.hvReference);
        layer.history.push_back(p);
    }
    return layer;
}

RunStore::RunStore(QObject* parent) : QObject(parent)
{
}

int RunStore::addLayer(RunLayer layer)
{
    layer.color = kLayerColors[m_colorsUsed++ % std::size(kLayerColors)];
    m_layers.push_back(std::move(layer));
    Q_EMIT layersChanged();
    return int(m_layers.size()) - 1;
}

void RunStore::clear()
{
    m_layers.clear();
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
    l.candidates.insert(l.candidates.end(), batch.begin(), batch.end());
    auto front = lts::frontierOf(l.candidates, l.config.search.objectives);
    const bool frontierMoved = front != l.frontier;
    l.frontier = std::move(front);
    Q_EMIT candidatesChanged(index);
    if (frontierMoved)
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
    if (index >= 0 && index < layerCount())
        m_layers[std::size_t(index)].live = live;
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
            out.push_back({l, int(i)});
    return out;
}

} // namespace studio
