#include "paretoplot.h"

#include "format.h"
#include "theme.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QSvgGenerator>
#include <QToolButton>

#include <QToolTip>
#include <QVBoxLayout>
#include <cmath>
#include <tuple>

#include <algorithm>
#include <cmath>
#include <map>

namespace studio {

namespace {

    // Above this many points, measured candidates are drawn as one raster instead of one QPainter
    // disc each: a replot then costs one pass over the points, not 100,000 ellipses.
    constexpr int kDenseThreshold = 4000;

    // Dense scatter: discs rasterised straight into an image the size of the axis rect, cached until
    // the view or the data changes (hover and selection replots reuse it).
    class DotCloud final : public QCPAbstractPlottable {
    public:
        struct Dot {
            double x, y;
            QRgb color;
        };

        DotCloud(QCPAxis* key, QCPAxis* value, std::vector<Dot> dots, int diameter)
            : QCPAbstractPlottable(key, value)
            , m_dots(std::move(dots))
            , m_radius(diameter / 2.0)
        {
            setSelectable(QCP::stNone);
        }

        double selectTest(const QPointF&, bool, QVariant*) const override { return -1; } // picking is the plot's
        QCPRange getKeyRange(bool& found, QCP::SignDomain domain) const override { return range(true, found, domain); }
        QCPRange getValueRange(bool& found, QCP::SignDomain domain, const QCPRange&) const override
        {
            return range(false, found, domain);
        }

    protected:
        void draw(QCPPainter* painter) override
        {
            const QRect area = clipRect();
            const auto state =
                std::make_tuple(keyAxis()->range().lower, keyAxis()->range().upper, valueAxis()->range().lower,
                    valueAxis()->range().upper, area, keyAxis()->scaleType(), valueAxis()->scaleType());
            if (m_image.isNull() || state != m_state) {
                m_state = state;
                m_image = QImage(area.size(), QImage::Format_ARGB32_Premultiplied);
                m_image.fill(Qt::transparent);
                const int r = int(std::ceil(m_radius));
                const int w = m_image.width(), h = m_image.height();
                for (const Dot& d : m_dots) {
                    const int cx = int(keyAxis()->coordToPixel(d.x)) - area.left();
                    const int cy = int(valueAxis()->coordToPixel(d.y)) - area.top();
                    if (cx < -r || cy < -r || cx > w + r || cy > h + r)
                        continue;
                    for (int dy = -r; dy <= r; ++dy) {
                        const int y = cy + dy;
                        if (y < 0 || y >= h)
                            continue;
                        auto* line = reinterpret_cast<QRgb*>(m_image.scanLine(y));
                        for (int dx = -r; dx <= r; ++dx) {
                            const int x = cx + dx;
                            if (x >= 0 && x < w && dx * dx + dy * dy <= m_radius * m_radius)
                                line[x] = d.color;
                        }
                    }
                }
            }
            painter->drawImage(area.topLeft(), m_image);
        }
        void drawLegendIcon(QCPPainter*, const QRectF&) const override { }

    private:
        QCPRange range(bool key, bool& found, QCP::SignDomain domain) const
        {
            QCPRange r;
            found = false;
            for (const Dot& d : m_dots) {
                const double v = key ? d.x : d.y;
                if ((domain == QCP::sdPositive && v <= 0) || (domain == QCP::sdNegative && v >= 0))
                    continue;
                r = found ? QCPRange(std::min(r.lower, v), std::max(r.upper, v)) : QCPRange(v, v);
                found = true;
            }
            return r;
        }

        std::vector<Dot> m_dots;
        double m_radius;
        QImage m_image;
        std::tuple<double, double, double, double, QRect, QCPAxis::ScaleType, QCPAxis::ScaleType> m_state;
    };

    constexpr double kPickRadiusPx = 8; // close enough to a marker to mean it
    constexpr int kDragThresholdPx = 4; // a press that moves less than this is a click
    constexpr double kLinearMargin = 0.06; // fraction of the data span left around it when fitting
    constexpr double kLogMargin = 1.25; // factor left around the data on a log axis when fitting
    constexpr double kFailedInset = 0.02; // failed points sit this fraction above the axis' lower edge
    constexpr int kExportWidth = 1200; // exported plots are this size whatever the window is
    constexpr int kExportHeight = 800;

    // Iteration colours: a perceptually even dark-blue-to-yellow ramp, ending before the palest yellow
    // so late iterations stay visible on a white background.
    QCPColorGradient iterationGradient()
    {
        QCPColorGradient g;
        g.clearColorStops();
        g.setColorStopAt(0.0, QColor(0x44, 0x01, 0x54));
        g.setColorStopAt(0.25, QColor(0x3b, 0x52, 0x8b));
        g.setColorStopAt(0.5, QColor(0x21, 0x91, 0x8c));
        g.setColorStopAt(0.75, QColor(0x5e, 0xc9, 0x62));
        g.setColorStopAt(1.0, QColor(0xb5, 0xde, 0x2b));
        return g;
    }

    bool isParams(Metric m)
    {
        return m == Metric::DecoderParams || m == Metric::TotalParams;
    }

} // namespace

QString metricLabel(Metric m)
{
    switch (m) {
    case Metric::DecoderParams:
        return QStringLiteral("Decoder parameters (M)");
    case Metric::TotalParams:
        return QStringLiteral("Total parameters (M)");
    case Metric::Latency:
        return QStringLiteral("Latency (ms)");
    case Metric::PeakMemory:
        return QStringLiteral("Peak memory (MB)");
    }
    return {};
}

bool metricValue(const lts::Candidate& c, Metric m, double* value)
{
    const bool measured = c.status != lts::Candidate::Status::Failed;
    switch (m) {
    case Metric::DecoderParams:
        *value = double(c.decoderParams) / 1e6;
        return true;
    case Metric::TotalParams:
        *value = double(c.totalParams) / 1e6;
        return true;
    case Metric::Latency:
        *value = c.measurement.latencyMs;
        return measured;
    case Metric::PeakMemory:
        *value = c.measurement.peakMemoryMb;
        return measured;
    }
    return false;
}

PlotCanvas::PlotCanvas(QWidget* parent)
    : QCustomPlot(parent)
{
}

void PlotCanvas::mousePressEvent(QMouseEvent* event)
{
    const bool box = m_boxMode || (event->modifiers() & Qt::ShiftModifier);
    setSelectionRectMode(box ? QCP::srmCustom : QCP::srmNone);
    m_panning = !box && event->button() == Qt::LeftButton;
    m_pressPos = event->pos();
    QCustomPlot::mousePressEvent(event);
}

void PlotCanvas::mouseMoveEvent(QMouseEvent* event)
{
    if (m_panning && (event->pos() - m_pressPos).manhattanLength() >= kDragThresholdPx) {
        m_panning = false;
        Q_EMIT userMovedView();
    }
    QCustomPlot::mouseMoveEvent(event);
}

void PlotCanvas::wheelEvent(QWheelEvent* event)
{
    Q_EMIT userMovedView();
    QCustomPlot::wheelEvent(event);
}

ParetoPlot::ParetoPlot(RunStore* store, QWidget* parent)
    : QWidget(parent)
    , m_store(store)
    , m_plot(new PlotCanvas(this))
    , m_xCombo(new QComboBox(this))
    , m_yCombo(new QComboBox(this))
    , m_logX(new QCheckBox(QStringLiteral("log"), this))
    , m_logY(new QCheckBox(QStringLiteral("log"), this))
    , m_follow(new QCheckBox(QStringLiteral("Follow"), this))
    , m_boxButton(new QToolButton(this))
{
    m_plot->setObjectName(QStringLiteral("paretoCanvas"));
    m_xCombo->setObjectName(QStringLiteral("xMetric"));
    m_yCombo->setObjectName(QStringLiteral("yMetric"));
    for (Metric m : { Metric::DecoderParams, Metric::TotalParams, Metric::Latency, Metric::PeakMemory }) {
        m_xCombo->addItem(metricLabel(m), int(m));
        m_yCombo->addItem(metricLabel(m), int(m));
    }
    m_xCombo->setCurrentIndex(int(m_x));
    m_yCombo->setCurrentIndex(int(m_y));
    m_xCombo->setToolTip(QStringLiteral("What the horizontal axis shows"));
    m_yCombo->setToolTip(QStringLiteral("What the vertical axis shows"));
    m_logX->setToolTip(QStringLiteral("Logarithmic horizontal axis"));
    m_logY->setToolTip(QStringLiteral("Logarithmic vertical axis"));
    m_follow->setChecked(true);
    m_follow->setToolTip(
        QStringLiteral("Keep every point in view as new ones arrive (dragging or zooming turns it off)"));
    m_boxButton->setText(QStringLiteral("Box select"));
    m_boxButton->setCheckable(true);
    m_boxButton->setToolTip(QStringLiteral("Drag a box to select many points (or hold Shift while dragging)"));
    auto* reset = new QPushButton(QStringLiteral("Reset view"), this);
    reset->setToolTip(QStringLiteral("Fit the view to every point"));

    auto* bar = new QHBoxLayout;
    bar->addWidget(new QLabel(QStringLiteral("x:"), this));
    bar->addWidget(m_xCombo);
    bar->addWidget(m_logX);
    bar->addSpacing(12);
    bar->addWidget(new QLabel(QStringLiteral("y:"), this));
    bar->addWidget(m_yCombo);
    bar->addWidget(m_logY);
    bar->addStretch(1);
    bar->addWidget(m_boxButton);
    bar->addWidget(m_follow);
    bar->addWidget(reset);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addLayout(bar);
    layout->addWidget(m_plot, 1);

    m_plot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    m_plot->setNoAntialiasingOnDrag(true);
    m_plot->setMinimumSize(320, 240);
    m_plot->legend->setVisible(true);
    m_plot->axisRect()->insetLayout()->setInsetAlignment(
        0, Qt::AlignTop | Qt::AlignLeft); // dominated points rarely reach that corner
    m_colorScale = new QCPColorScale(m_plot);
    m_colorScale->setType(QCPAxis::atRight);
    m_colorScale->setBarWidth(10);
    m_colorScale->setGradient(iterationGradient());
    m_colorScale->axis()->setLabel(QStringLiteral("iteration"));
    m_colorScale->setVisible(false); // shown only while one run is drawn
    m_marginGroup = new QCPMarginGroup(m_plot);
    m_plot->axisRect()->setMarginGroup(QCP::msBottom | QCP::msTop, m_marginGroup);
    m_colorScale->setMarginGroup(QCP::msBottom | QCP::msTop, m_marginGroup);

    connect(m_xCombo, qOverload<int>(&QComboBox::activated), this,
        [this] { setMetrics(Metric(m_xCombo->currentData().toInt()), m_y); });
    connect(m_yCombo, qOverload<int>(&QComboBox::activated), this,
        [this] { setMetrics(m_x, Metric(m_yCombo->currentData().toInt())); });
    connect(m_logX, &QCheckBox::toggled, this, [this] { setLogScale(m_logX->isChecked(), m_logY->isChecked()); });
    connect(m_logY, &QCheckBox::toggled, this, [this] { setLogScale(m_logX->isChecked(), m_logY->isChecked()); });
    connect(m_follow, &QCheckBox::toggled, this, &ParetoPlot::setFollow);
    connect(m_boxButton, &QToolButton::toggled, this, &ParetoPlot::setBoxMode);
    connect(reset, &QPushButton::clicked, this, &ParetoPlot::resetView);
    connect(m_plot, &PlotCanvas::userMovedView, this, [this] { setFollow(false); });
    connect(m_plot, &QCustomPlot::mousePress, this, &ParetoPlot::onMousePress);
    connect(m_plot, &QCustomPlot::mouseMove, this, &ParetoPlot::onMouseMove);
    connect(m_plot, &QCustomPlot::mouseRelease, this, &ParetoPlot::onMouseRelease);
    connect(m_plot->selectionRect(), &QCPSelectionRect::accepted, this, &ParetoPlot::onBoxAccepted);
    connect(m_plot->xAxis, qOverload<const QCPRange&>(&QCPAxis::rangeChanged), this, [this] { placeFailedPoints(); });
    connect(m_plot->yAxis, qOverload<const QCPRange&>(&QCPAxis::rangeChanged), this, [this] { placeFailedPoints(); });

    connect(store, &RunStore::layersChanged, this, &ParetoPlot::rebuild);
    connect(store, &RunStore::candidatesChanged, this, &ParetoPlot::rebuild);
    connect(store, &RunStore::selectionChanged, this, [this] {
        updateSelectionGraph();
        m_plot->replot(QCustomPlot::rpQueuedReplot);
    });

    applyAxes();
    applyTheme();
    rebuild();
}

void ParetoPlot::setMetrics(Metric x, Metric y)
{
    m_x = x;
    m_y = y;
    m_xCombo->setCurrentIndex(m_xCombo->findData(int(x)));
    m_yCombo->setCurrentIndex(m_yCombo->findData(int(y)));
    applyAxes();
    rebuild();
    fitToData(); // the old ranges mean nothing on new axes
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

void ParetoPlot::setLogScale(bool x, bool y)
{
    const QSignalBlocker bx(m_logX), by(m_logY);
    m_logX->setChecked(x);
    m_logY->setChecked(y);
    applyAxes();
    fitToData();
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

void ParetoPlot::setFollow(bool on)
{
    if (m_followOn == on)
        return;
    m_followOn = on;
    const QSignalBlocker block(m_follow);
    m_follow->setChecked(on);
    if (on) {
        fitToData();
        m_plot->replot(QCustomPlot::rpQueuedReplot);
    }
    Q_EMIT followChanged(on);
}

void ParetoPlot::setBoxMode(bool on)
{
    const QSignalBlocker block(m_boxButton);
    m_boxButton->setChecked(on);
    m_plot->setBoxMode(on);
}

void ParetoPlot::setDark(bool dark)
{
    m_dark = dark;
    applyTheme();
    rebuild();
}

void ParetoPlot::resetView()
{
    fitToData();
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

void ParetoPlot::applyAxes()
{
    auto setup = [](QCPAxis* axis, Metric m, bool log) {
        axis->setLabel(metricLabel(m));
        axis->setScaleType(log ? QCPAxis::stLogarithmic : QCPAxis::stLinear);
        if (log)
            axis->setTicker(QSharedPointer<QCPAxisTickerLog>::create());
        else
            axis->setTicker(QSharedPointer<QCPAxisTicker>::create());
    };
    setup(m_plot->xAxis, m_x, m_logX->isChecked());
    setup(m_plot->yAxis, m_y, m_logY->isChecked());
}

void ParetoPlot::applyTheme()
{
    applyPlotTheme(m_plot, m_dark, { m_colorScale->axis() });
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

bool ParetoPlot::position(const lts::Candidate& c, double* x, double* y) const
{
    const bool hasX = metricValue(c, m_x, x);
    const bool hasY = metricValue(c, m_y, y);
    if (hasX && hasY)
        return true;
    // A failed candidate has only parameter counts: pin its missing coordinate to the axis edge.
    auto edge = [](const QCPAxis* axis) {
        const QCPRange r = axis->range();
        if (axis->scaleType() == QCPAxis::stLogarithmic && r.lower > 0)
            return r.lower * std::pow(r.upper / r.lower, kFailedInset);
        return r.lower + kFailedInset * r.size();
    };
    if (!hasX)
        *x = edge(m_plot->xAxis);
    if (!hasY)
        *y = edge(m_plot->yAxis);
    return false;
}

void ParetoPlot::showColorScale(bool on, int maxIteration)
{
    if (on != m_colorScaleShown) {
        // A taken element would still draw at its old place, so it is hidden as well.
        if (on) {
            m_plot->plotLayout()->addElement(0, 1, m_colorScale);
        } else {
            m_plot->plotLayout()->take(m_colorScale);
            m_plot->plotLayout()->simplify();
        }
        m_colorScale->setVisible(on);
        m_colorScaleShown = on;
    }
    if (on)
        m_colorScale->setDataRange(QCPRange(0, std::max(1, maxIteration)));
}

void ParetoPlot::rebuild()
{
    m_plot->clearPlottables(); // graphs and dense point clouds
    m_hits.clear();
    m_failed.clear();
    const QColor foreground = m_dark ? QColor(0xee, 0xee, 0xee) : QColor(0x20, 0x20, 0x20);
    const bool single = m_store->layerCount() == 1;
    QCPColorGradient gradient = iterationGradient(); // color() updates its lookup table
    int maxIteration = 0;
    for (int l = 0; l < m_store->layerCount(); ++l)
        for (const auto& c : m_store->layer(l).candidates)
            maxIteration = std::max(maxIteration, c.iteration);
    showColorScale(single && !m_store->layer(0).candidates.empty(), maxIteration);

    QVector<double> overX, overY;
    // Any other status (a screened, only estimated candidate, say) is drawn apart under its name.
    std::map<std::string, std::pair<QVector<double>, QVector<double>>> apart;
    for (int l = 0; l < m_store->layerCount(); ++l) {
        const RunLayer& layer = m_store->layer(l);
        std::map<int, std::pair<QVector<double>, QVector<double>>> byGroup; // iteration (or 0) -> points
        for (std::size_t i = 0; i < layer.candidates.size(); ++i) {
            const lts::Candidate& c = layer.candidates[i];
            const PointRef ref { l, int(i) };
            double x = 0, y = 0;
            m_hits.push_back(ref);
            if (!position(c, &x, &y) || c.status == lts::Candidate::Status::Failed) {
                m_failed.push_back(ref);
                continue;
            }
            if (c.status == lts::Candidate::Status::OverCeiling) {
                overX << x;
                overY << y;
                continue;
            }
            if (c.status != lts::Candidate::Status::Ok) {
                auto& group = apart[lts::candidateStatusName(c.status)];
                group.first << x;
                group.second << y;
                continue;
            }
            auto& group = byGroup[single ? c.iteration : 0];
            group.first << x;
            group.second << y;
        }
        int measured = 0;
        for (const auto& [iteration, points] : byGroup)
            measured += int(points.first.size());
        if (measured > kDenseThreshold) {
            std::vector<DotCloud::Dot> dots;
            dots.reserve(std::size_t(measured));
            for (const auto& [iteration, points] : byGroup) {
                QColor color = single ? gradient.color(iteration, QCPRange(0, std::max(1, maxIteration))) : layer.color;
                if (!single)
                    color.setAlpha(110);
                const QRgb rgb = qPremultiply(color.rgba());
                for (int i = 0; i < points.first.size(); ++i)
                    dots.push_back({ points.first[i], points.second[i], rgb });
            }
            auto* cloud = new DotCloud(m_plot->xAxis, m_plot->yAxis, std::move(dots), single ? 5 : 4);
            cloud->removeFromLegend();
            byGroup.clear();
        }
        for (auto& [iteration, points] : byGroup) {
            QCPGraph* g = m_plot->addGraph();
            QColor color = single ? gradient.color(iteration, QCPRange(0, std::max(1, maxIteration))) : layer.color;
            if (!single)
                color.setAlpha(110); // other runs' points recede behind their frontiers
            g->setLineStyle(QCPGraph::lsNone);
            g->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, color, color, single ? 6 : 5));
            g->setData(points.first, points.second);
            g->removeFromLegend();
        }
        // Frontier: a step line through its points, sorted along x.
        QVector<double> fx, fy;
        for (std::size_t i : layer.frontier) {
            double x = 0, y = 0;
            if (position(layer.candidates[i], &x, &y)) {
                fx << x;
                fy << y;
            }
        }
        QCPGraph* front = m_plot->addGraph();
        const QColor frontColor = single ? QColor(0xff, 0x7f, 0x0e) : layer.color;
        front->setPen(QPen(frontColor, 2));
        front->setLineStyle(isParams(m_x) ? QCPGraph::lsStepRight : QCPGraph::lsStepLeft);
        front->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, QPen(frontColor, 2), Qt::NoBrush, 9));
        front->setData(fx, fy);
        front->setName(single ? QStringLiteral("frontier (%1)").arg(fx.size())
                              : QStringLiteral("%1 (%2 on frontier)").arg(layer.name).arg(fx.size()));
    }
    if (!overX.isEmpty()) {
        QCPGraph* g = m_plot->addGraph();
        g->setLineStyle(QCPGraph::lsNone);
        g->setScatterStyle(
            QCPScatterStyle(QCPScatterStyle::ssDiamond, QPen(QColor(0x90, 0x90, 0x90), 1.5), Qt::NoBrush, 7));
        g->setData(overX, overY);
        g->setName(QStringLiteral("over ceiling (%1)").arg(overX.size()));
    }
    for (auto& [status, points] : apart) {
        QCPGraph* g = m_plot->addGraph();
        g->setLineStyle(QCPGraph::lsNone);
        g->setScatterStyle(
            QCPScatterStyle(QCPScatterStyle::ssCircle, QPen(QColor(0x90, 0x90, 0x90), 1), Qt::NoBrush, 5));
        g->setData(points.first, points.second);
        g->setName(QStringLiteral("%1 (%2)")
                       .arg(QString::fromStdString(status).replace(QLatin1Char('_'), QLatin1Char(' ')))
                       .arg(points.first.size()));
    }
    m_failedGraph = nullptr;
    if (!m_failed.empty()) {
        m_failedGraph = m_plot->addGraph();
        m_failedGraph->setLineStyle(QCPGraph::lsNone);
        m_failedGraph->setScatterStyle(
            QCPScatterStyle(QCPScatterStyle::ssCross, QPen(QColor(0xd6, 0x27, 0x28), 2), Qt::NoBrush, 8));
        m_failedGraph->setName(QStringLiteral("failed (%1)").arg(m_failed.size()));
    }
    m_selectionGraph = m_plot->addGraph();
    m_selectionGraph->setLineStyle(QCPGraph::lsNone);
    m_selectionGraph->setScatterStyle(
        QCPScatterStyle(QCPScatterStyle::ssCircle, QPen(foreground, 2.5), Qt::NoBrush, 15));
    m_selectionGraph->removeFromLegend();
    m_plot->legend->setVisible(m_plot->graphCount() > 1);

    if (m_followOn)
        fitToData();
    placeFailedPoints();
    updateSelectionGraph();
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

void ParetoPlot::placeFailedPoints()
{
    if (!m_failedGraph)
        return;
    QVector<double> xs, ys;
    for (PointRef p : m_failed) {
        double x = 0, y = 0;
        position(m_store->candidate(p), &x, &y);
        xs << x;
        ys << y;
    }
    m_failedGraph->setData(xs, ys);
    if (m_selectionGraph)
        updateSelectionGraph();
}

void ParetoPlot::updateSelectionGraph()
{
    if (!m_selectionGraph)
        return;
    QVector<double> xs, ys;
    for (PointRef p : m_store->selection()) {
        if (!m_store->contains(p))
            continue;
        double x = 0, y = 0;
        position(m_store->candidate(p), &x, &y);
        xs << x;
        ys << y;
    }
    m_selectionGraph->setData(xs, ys);
}

void ParetoPlot::fitToData()
{
    // Each axis fits every value it has, so a failed candidate's parameter count counts too.
    auto fit = [this](QCPAxis* axis, Metric metric) {
        const bool log = axis->scaleType() == QCPAxis::stLogarithmic;
        bool any = false;
        double lo = 0, hi = 0;
        for (PointRef p : m_hits) {
            double v = 0;
            if (!metricValue(m_store->candidate(p), metric, &v) || (log && v <= 0))
                continue;
            lo = any ? std::min(lo, v) : v;
            hi = any ? std::max(hi, v) : v;
            any = true;
        }
        if (!any)
            return;
        if (log) {
            axis->setRange(lo / kLogMargin, hi * kLogMargin);
            return;
        }
        const double pad = hi > lo ? (hi - lo) * kLinearMargin : std::max(std::abs(hi) * 0.1, 1e-3);
        axis->setRange(lo - pad, hi + pad);
    };
    fit(m_plot->xAxis, m_x);
    fit(m_plot->yAxis, m_y);
}

QPoint ParetoPlot::pixelOf(PointRef p) const
{
    if (std::find(m_hits.begin(), m_hits.end(), p) == m_hits.end())
        return { -1, -1 };
    double x = 0, y = 0;
    position(m_store->candidate(p), &x, &y);
    return QPointF(m_plot->xAxis->coordToPixel(x), m_plot->yAxis->coordToPixel(y)).toPoint();
}

PointRef ParetoPlot::pointAt(const QPointF& pixel) const
{
    PointRef best;
    double bestDistance = kPickRadiusPx * kPickRadiusPx;
    for (PointRef p : m_hits) {
        double x = 0, y = 0;
        position(m_store->candidate(p), &x, &y);
        const double dx = m_plot->xAxis->coordToPixel(x) - pixel.x();
        const double dy = m_plot->yAxis->coordToPixel(y) - pixel.y();
        const double d = dx * dx + dy * dy;
        if (d <= bestDistance) {
            bestDistance = d;
            best = p;
        }
    }
    return best;
}

std::vector<PointRef> ParetoPlot::pointsIn(const QRect& rect) const
{
    std::vector<PointRef> out;
    for (PointRef p : m_hits) {
        double x = 0, y = 0;
        position(m_store->candidate(p), &x, &y);
        if (rect.contains(QPointF(m_plot->xAxis->coordToPixel(x), m_plot->yAxis->coordToPixel(y)).toPoint()))
            out.push_back(p);
    }
    return out;
}

void ParetoPlot::onMousePress(QMouseEvent* event)
{
    m_pressPos = event->pos();
}

void ParetoPlot::onMouseMove(QMouseEvent* event)
{
    if (event->buttons() != Qt::NoButton)
        return;
    const PointRef p = pointAt(event->position());
    if (p.valid())
        QToolTip::showText(event->globalPosition().toPoint(),
            candidateTooltip(m_store->candidate(p), m_store->layer(p.layer).name), m_plot);
    else
        QToolTip::hideText();
}

void ParetoPlot::onMouseRelease(QMouseEvent* event)
{
    if (event->button() != Qt::LeftButton || (event->pos() - m_pressPos).manhattanLength() >= kDragThresholdPx)
        return;
    const PointRef p = pointAt(event->position());
    if (event->modifiers() & Qt::ControlModifier) {
        if (!p.valid())
            return;
        std::vector<PointRef> sel = m_store->selection();
        const auto it = std::find(sel.begin(), sel.end(), p);
        if (it != sel.end())
            sel.erase(it);
        else
            sel.insert(sel.begin(), p);
        m_store->setSelection(sel);
        return;
    }
    m_store->setSelection(p.valid() ? std::vector<PointRef> { p } : std::vector<PointRef> {});
}

void ParetoPlot::onBoxAccepted(const QRect& rect, QMouseEvent* event)
{
    if (rect.width() + rect.height() < kDragThresholdPx)
        return; // a click in box mode: onMouseRelease handles it
    std::vector<PointRef> picked = pointsIn(rect);
    if (event && (event->modifiers() & Qt::ControlModifier)) {
        std::vector<PointRef> sel = m_store->selection();
        sel.insert(sel.end(), picked.begin(), picked.end());
        picked = sel;
    }
    m_store->setSelection(picked);
}

bool ParetoPlot::saveImage(const QString& path, QString* error)
{
    const QString suffix = QFileInfo(path).suffix().toLower();
    bool ok = false;
    if (suffix == QLatin1String("png")) {
        ok = m_plot->savePng(path, kExportWidth, kExportHeight);
    } else if (suffix == QLatin1String("pdf")) {
        ok = m_plot->savePdf(path, kExportWidth, kExportHeight);
    } else if (suffix == QLatin1String("svg")) {
        QSvgGenerator generator;
        generator.setFileName(path);
        generator.setSize(QSize(kExportWidth, kExportHeight));
        generator.setViewBox(QRect(0, 0, kExportWidth, kExportHeight));
        generator.setTitle(QStringLiteral("LTS Studio Pareto plot"));
        QCPPainter painter;
        ok = painter.begin(&generator);
        if (ok) {
            m_plot->toPainter(&painter, kExportWidth, kExportHeight);
            ok = painter.end();
        }
    } else {
        if (error)
            *error = QStringLiteral("%1: choose a .png, .pdf or .svg file name").arg(path);
        return false;
    }
    if (!ok && error)
        *error = QStringLiteral("%1 could not be written").arg(path);
    return ok;
}

} // namespace studio
