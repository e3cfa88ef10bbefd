// The runs shown in the window — the live search and any opened run folders — each a layer of
// candidates with its frontier and convergence history, and the user's selection across layers.
// GUI-thread only: the search thread hands its results over as values through the main window.
#pragma once

#include "pareto.h"
#include "runfolder.h"
#include "searchconfig.h"

#include <QColor>
#include <QObject>
#include <QString>

#include <optional>
#include <vector>

namespace studio {

// One candidate of one layer.
struct PointRef {
    int layer = -1;
    int index = -1;
    bool valid() const { return layer >= 0 && index >= 0; }
    bool operator==(const PointRef& o) const { return layer == o.layer && index == o.index; }
    bool operator!=(const PointRef& o) const { return !(*this == o); }
    bool operator<(const PointRef& o) const { return layer != o.layer ? layer < o.layer : index < o.index; }
};

struct ConvergencePoint {
    double elapsedS = 0;
    double hypervolume = 0;
    int frontierSize = 0;
    int iteration = 0;
};

struct RunLayer {
    QString name; // shown in the legend and the table
    QString folder; // the run folder it is written to or was read from
    lts::SearchConfig config;
    std::vector<lts::Candidate> candidates;
    std::vector<std::size_t> frontier; // indices into candidates, on config.search.objectives
    std::vector<ConvergencePoint> history;
    QColor color;
    bool live = false; // being written by a search of this window
    // How the run's estimates held against its full measurements (session.json, or the live
    // search's last iteration): the expected error of an estimated candidate.
    lts::EstimateQuality latencyEstimate;
    lts::EstimateQuality memoryEstimate;
};

// Builds a layer from a loaded run folder, with its frontier and per-iteration convergence.
RunLayer layerFromRun(const lts::LoadedRun& run, const QString& folder);

class RunStore final : public QObject {
    Q_OBJECT
public:
    explicit RunStore(QObject* parent = nullptr);

    int addLayer(RunLayer layer); // gives it the next distinct colour; returns its index
    void clear();
    int layerCount() const { return int(m_layers.size()); }
    const RunLayer& layer(int i) const { return m_layers[std::size_t(i)]; }
    const lts::Candidate& candidate(PointRef p) const;
    bool contains(PointRef p) const;
    // On its layer's frontier (the search's objectives).
    bool onFrontier(PointRef p) const;
    // Layer that the convergence plot and the status bar follow: the live one, else the newest.
    int primaryLayer() const;

    // Appends a batch and brings the layer's frontier up to date incrementally: O(batch x front),
    // with the same indices, in the same (ascending) order, as lts::frontierOf of all candidates.
    void appendCandidates(int layer, const std::vector<lts::Candidate>& batch);
    // Replaces candidates of the layer by id (a frontier point's confirmation) and recomputes
    // its frontier, on which a confirmed point may no longer stand.
    void replaceCandidates(int layer, const std::vector<lts::Candidate>& updates);
    void appendHistory(int layer, const ConvergencePoint& point);
    void setLive(int layer, bool live);
    void setEstimateQuality(int layer, const lts::EstimateQuality& latency, const lts::EstimateQuality& memory);

    const std::vector<PointRef>& selection() const { return m_selection; }
    PointRef current() const { return m_selection.empty() ? PointRef {} : m_selection.front(); }
    void setSelection(std::vector<PointRef> refs);
    // Every frontier point of every layer (what an export with nothing selected writes).
    std::vector<PointRef> allFrontierPoints() const;
    // What an export writes: the selection, or every frontier point when nothing is selected.
    std::vector<lts::Candidate> exportSet() const;
    // The measured architecture with the lowest latency (decode per token, for generation runs)
    // among those with at least `decoderParams` decoder parameters, over every layer of the first
    // layer's workload; invalid when there is none.
    PointRef fastestAbove(double decoderParams) const;

Q_SIGNALS:
    void layersChanged();
    void candidatesChanged(int layer); // appended
    void candidatesReplaced(int layer);
    void frontierChanged(int layer);
    void historyChanged(int layer);
    void selectionChanged();

private:
    std::vector<RunLayer> m_layers;
    // Each layer's front of its Ok candidates, made on its first append (an opened run that is only
    // looked at never needs one).
    std::vector<std::optional<lts::FrontTracker>> m_fronts;
    std::vector<PointRef> m_selection;
    int m_colorsUsed = 0;
};

} // namespace studio
