// The live Pareto plot: every candidate of every layer as a scatter (coloured by iteration when
// one run is shown, by run when several are), each frontier as a step line, failed and
// over-ceiling candidates apart; axis pickers, log scales, hover, click and box selection.
// Appended candidates are added to the plottables already there (PlotJuggler's updateCurves);
// everything is rebuilt only when it must be: new axes, theme or layers, a status that has no
// legend entry yet, or a layer that grows past the raster threshold.
// GUI thread only, like everything that touches QCustomPlot.
#pragma once

#include "runstore.h"

#include <qcustomplot.h>

#include <QWidget>

#include <map>
#include <string>
#include <vector>

class QCheckBox;
class QComboBox;
class QVBoxLayout;
class QToolButton;

namespace studio {

class DotCloud;

inline constexpr double kPickRadiusPx = 8; // close enough to a marker to mean it
inline constexpr int kDragThresholdPx = 4; // a press that moves less than this is a click

// Log ticks at 1, 2 and 5 times the powers of ten while the axis spans few decades (at the powers
// alone beyond), so a range such as 15 to 120 still reads 20, 50, 100.
QSharedPointer<QCPAxisTicker> decadeTicker();

// Latency is a scoring run's; Prefill and Decode (per token) a generation run's (the protocol's
// workload); PeakMemory the high-water mark of whichever workload was measured.
enum class Metric { DecoderParams, TotalParams, Latency, PeakMemory, Prefill, Decode };
constexpr Metric kLastMetric = Metric::Decode;
// The axis that shows a search objective.
Metric metricOf(lts::Objective o);
QString metricLabel(Metric m);
// The value drawn for `c` (parameters in millions); false when `c` has none (a failed one).
bool metricValue(const lts::Candidate& c, Metric m, double* value);

// A QCustomPlot whose left-drag pans, or draws a selection box in box mode or with Shift held.
class PlotCanvas final : public QCustomPlot {
    Q_OBJECT
public:
    explicit PlotCanvas(QWidget* parent = nullptr);
    void setBoxMode(bool on) { m_boxMode = on; }
    bool boxMode() const { return m_boxMode; }

Q_SIGNALS:
    // The user dragged or zoomed the view, so following new points must stop.
    void userMovedView();

protected:
    void mousePressEvent(QMouseEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void mouseReleaseEvent(QMouseEvent* event) override;
    void wheelEvent(QWheelEvent* event) override;

private:
    bool m_boxMode = false;
    bool m_panning = false; // the left button is down and may start a pan
    QPoint m_pressPos;
};

class ParetoPlot final : public QWidget {
    Q_OBJECT
public:
    explicit ParetoPlot(RunStore* store, QWidget* parent = nullptr);

    PlotCanvas* canvas() const { return m_plot; }
    Metric xMetric() const { return m_x; }
    Metric yMetric() const { return m_y; }
    void setMetrics(Metric x, Metric y);
    void setLogScale(bool x, bool y);
    bool logX() const;
    bool logY() const;
    // The tool bar over the plot is in more than one row: the plot is too narrow for one.
    bool toolbarWrapped() const;
    bool follow() const { return m_followOn; }
    void setFollow(bool on);
    void setBoxMode(bool on);
    void setDark(bool dark);
    // Fits the view to every drawn point once.
    void resetView();
    // Redraws everything from the store. Appended candidates (RunStore::candidatesChanged) and
    // frontiers (frontierChanged) update the plot in place without it; the caller coalesces
    // appends (the main window batches points).
    void rebuild();

    // PNG, PDF or SVG, chosen by the suffix; `error` says why when it returns false.
    bool saveImage(const QString& path, QString* error = nullptr);

    int plottedPoints() const;
    // The plottables drawing layer `layer`'s measured points, its own and confirmed frontier
    // points, the spread of its frontier and its frontier line (last); empty for a layer not
    // drawn. They outlive appends to the layer.
    std::vector<QCPAbstractPlottable*> layerPlottables(int layer) const;
    // Centre of a drawn point in canvas pixels; (-1,-1) when it is not drawn.
    QPoint pixelOf(PointRef p) const;
    // Nearest drawn point within the pick radius of `pixel`, else an invalid ref.
    PointRef pointAt(const QPointF& pixel) const;
    std::vector<PointRef> pointsIn(const QRect& rect) const;

Q_SIGNALS:
    void followChanged(bool on);
    // The user picked an axis with its picker.
    void metricsChosen();

protected:
    void resizeEvent(QResizeEvent* event) override;

private:
    void arrangeToolbar();
    void fitHint();

    // What is drawn of one store layer.
    struct LayerPlot {
        std::size_t drawn = 0; // candidates [0, drawn) of the layer are on the plot, and picked from
        int measured = 0; // the Ok ones among them, in the scatter
        std::map<int, QCPGraph*> groups; // the scatter per iteration (one run) or whole (key 0), while sparse
        DotCloud* cloud = nullptr; // the scatter as one raster, once dense
        // The frontier of the axes on screen: a step line through its points, with the spread of
        // their latency (first to third quartile) as error bars when latency is an axis.
        QCPGraph* front = nullptr;
        QCPErrorBars* spread = nullptr;
        // The search's own frontier (on its objectives), ringed apart when the axes show others.
        QCPGraph* own = nullptr;
        QCPGraph* confirmed = nullptr; // a dot inside each of the search's frontier points that is confirmed
    };
    // Range of one axis' values over every drawn point, on a linear and on a log scale.
    struct Bounds {
        bool any = false, anyPositive = false;
        double lo = 0, hi = 0, loPositive = 0, hiPositive = 0;
        void add(double v);
    };

    bool position(const lts::Candidate& c, double* x, double* y) const;
    // Where `c` is drawn (a failed one on the axes' edges); false when it is not drawn at all (an
    // estimated candidate without the estimate an axis shows).
    bool placed(const lts::Candidate& c, double* x, double* y) const;
    bool isDrawn(PointRef p) const;
    void onCandidatesAppended(int layer);
    void onFrontierChanged(int layer);
    // False when drawing candidates [from, to) of `layer` needs a plottable a rebuild makes: a
    // legend entry not there yet, or a raster for a layer grown dense.
    bool fitsPlottables(int layer, std::size_t from, std::size_t to) const;
    void plotCandidates(int layer, std::size_t from, std::size_t to);
    void setFrontierData(int layer);
    // True when the axes show exactly the search's objectives, whose frontier the store keeps.
    bool axesAreObjectives(int layer) const;
    // Indices of the layer's measured candidates that no other dominates on the axes on screen
    // (parameters more is better, latency and memory less), in ascending order.
    std::vector<std::size_t> axesFrontier(int layer) const;
    QColor groupColor(int layer, int group);
    QCPScatterStyle groupStyle(int layer, int group);
    std::vector<QRgb> cloudPalette(int layer);
    void restyleIterations();
    void updateLegend();
    void applyAxes();
    void applyTheme();
    void placeFailedPoints();
    void updateSelectionGraph();
    void fitToData();
    void showColorScale(bool on, int maxIteration);
    void onMousePress(QMouseEvent* event);
    void onMouseMove(QMouseEvent* event);
    void onMouseRelease(QMouseEvent* event);
    void onBoxAccepted(const QRect& rect, QMouseEvent* event);

    RunStore* m_store;
    PlotCanvas* m_plot;
    QComboBox* m_xCombo;
    QComboBox* m_yCombo;
    QCheckBox* m_logX;
    QCheckBox* m_logY;
    QCheckBox* m_follow;
    QToolButton* m_boxButton;
    std::vector<QWidget*> m_toolGroups; // x axis, y axis, view (box select, follow, reset)
    QVBoxLayout* m_toolbar; // a row of groups each
    std::vector<int> m_toolRows; // the row of each group
    QCPColorScale* m_colorScale;
    QCPMarginGroup* m_marginGroup;
    QCPLayer* m_pointsLayer = nullptr; // scatters, below the frontiers and markers on "main"
    QCPColorGradient m_gradient;
    QCPItemText* m_hint = nullptr; // what to do, over an empty plot
    QString m_hintText; // its paragraphs, before fitHint breaks them into lines
    std::vector<LayerPlot> m_layers;
    QCPGraph* m_overGraph = nullptr;
    std::map<std::string, QCPGraph*> m_apartGraphs; // by status name
    QCPGraph* m_failedGraph = nullptr;
    QCPGraph* m_selectionGraph = nullptr;
    Metric m_x = Metric::DecoderParams;
    Metric m_y = Metric::Latency;
    bool m_followOn = true;
    bool m_dark = false;
    bool m_colorScaleShown = false;
    bool m_single = false; // one run, coloured by iteration; else each run in its colour
    int m_maxIteration = 0; // the iteration colours span [0, max(1, this)]
    Bounds m_xBounds, m_yBounds;
    std::vector<PointRef> m_failed; // the failed ones (in layer and index order), pinned to the axes' lower edges
    QPoint m_pressPos;
};

} // namespace studio
