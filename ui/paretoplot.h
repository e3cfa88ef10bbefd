// The live Pareto plot: every candidate of every layer as a scatter (coloured by iteration when
// one run is shown, by run when several are), each frontier as a step line, failed and
// over-ceiling candidates apart; axis pickers, log scales, hover, click and box selection.
// GUI thread only, like everything that touches QCustomPlot.
#pragma once

#include "runstore.h"

#include <qcustomplot.h>

#include <QWidget>

class QCheckBox;
class QComboBox;
class QToolButton;

namespace studio {

enum class Metric { DecoderParams, TotalParams, Latency, PeakMemory };
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
    void wheelEvent(QWheelEvent* event) override;

private:
    bool m_boxMode = false;
    bool m_panning = false;
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
    bool follow() const { return m_followOn; }
    void setFollow(bool on);
    void setBoxMode(bool on);
    void setDark(bool dark);
    // Fits the view to every drawn point once.
    void resetView();
    // Redraws from the store; the caller coalesces calls (the main window batches points).
    void rebuild();

    // PNG, PDF or SVG, chosen by the suffix; `error` says why when it returns false.
    bool saveImage(const QString& path, QString* error = nullptr);

    int plottedPoints() const { return int(m_hits.size()); }
    // Centre of a drawn point in canvas pixels; (-1,-1) when it is not drawn.
    QPoint pixelOf(PointRef p) const;
    // Nearest drawn point within the pick radius of `pixel`, else an invalid ref.
    PointRef pointAt(const QPointF& pixel) const;
    std::vector<PointRef> pointsIn(const QRect& rect) const;

Q_SIGNALS:
    void followChanged(bool on);

private:
    bool position(const lts::Candidate& c, double* x, double* y) const;
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
    QCPColorScale* m_colorScale;
    QCPMarginGroup* m_marginGroup;
    QCPGraph* m_failedGraph = nullptr;
    QCPGraph* m_selectionGraph = nullptr;
    Metric m_x = Metric::DecoderParams;
    Metric m_y = Metric::Latency;
    bool m_followOn = true;
    bool m_dark = false;
    bool m_colorScaleShown = false;
    std::vector<PointRef> m_hits; // every point drawn, failed ones included, for picking
    std::vector<PointRef> m_failed; // the failed ones, pinned to the axes' lower edges
    QPoint m_pressPos;
};

} // namespace studio
