#include "paretoplot.h"

#include "format.h"
#include "theme.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFileInfo>
#include <QFontMetrics>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QSvgGenerator>
#include <QToolButton>
#include <QToolTip>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <tuple>

namespace studio {

// Dense scatter: discs rasterised straight into an image the size of the axis rect, cached until
// the view or the palette changes (hover and selection replots reuse it). Appended dots are
// painted onto the cached image while the view stays where it was.
class DotCloud final : public QCPAbstractPlottable {
public:
    struct Dot {
        double x, y;
        int color; // index into the palette
    };

    DotCloud(QCPAxis* key, QCPAxis* value, std::vector<QRgb> palette, int diameter)
        : QCPAbstractPlottable(key, value)
        , m_palette(std::move(palette))
        , m_radius(diameter / 2.0)
    {
        setSelectable(QCP::stNone);
    }

    // Premultiplied colours; a dot whose index lies past the end takes the last.
    void setPalette(std::vector<QRgb> palette)
    {
        m_palette = std::move(palette);
        m_image = QImage();
    }
    void addDots(const std::vector<Dot>& dots)
    {
        const std::size_t first = m_dots.size();
        m_dots.insert(m_dots.end(), dots.begin(), dots.end());
        if (m_image.isNull())
            return;
        if (viewState() == m_state)
            paint(first);
        else
            m_image = QImage(); // the view moved: the next draw rasterises everything
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
        const State state = viewState();
        if (m_image.isNull() || state != m_state) {
            m_state = state;
            m_image = QImage(std::get<4>(state).size(), QImage::Format_ARGB32_Premultiplied);
            m_image.fill(Qt::transparent);
            paint(0);
        }
        painter->drawImage(std::get<4>(m_state).topLeft(), m_image);
    }
    void drawLegendIcon(QCPPainter*, const QRectF&) const override { }

private:
    using State = std::tuple<double, double, double, double, QRect, QCPAxis::ScaleType, QCPAxis::ScaleType>;

    State viewState() const
    {
        return std::make_tuple(keyAxis()->range().lower, keyAxis()->range().upper, valueAxis()->range().lower,
            valueAxis()->range().upper, clipRect(), keyAxis()->scaleType(), valueAxis()->scaleType());
    }

    // Paints dots [first, end) into the image, which is in the view m_state describes.
    void paint(std::size_t first)
    {
        if (m_image.isNull() || m_palette.empty())
            return;
        const QRect area = std::get<4>(m_state);
        const int r = int(std::ceil(m_radius));
        const int w = m_image.width(), h = m_image.height();
        const int lastColor = int(m_palette.size()) - 1;
        for (std::size_t k = first; k < m_dots.size(); ++k) {
            const Dot& d = m_dots[k];
            const int cx = int(keyAxis()->coordToPixel(d.x)) - area.left();
            const int cy = int(valueAxis()->coordToPixel(d.y)) - area.top();
            if (cx < -r || cy < -r || cx > w + r || cy > h + r)
                continue;
            const QRgb color = m_palette[std::size_t(std::clamp(d.color, 0, lastColor))];
            for (int dy = -r; dy <= r; ++dy) {
                const int y = cy + dy;
                if (y < 0 || y >= h)
                    continue;
                auto* line = reinterpret_cast<QRgb*>(m_image.scanLine(y));
                for (int dx = -r; dx <= r; ++dx) {
                    const int x = cx + dx;
                    if (x >= 0 && x < w && dx * dx + dy * dy <= m_radius * m_radius)
                        line[x] = color;
                }
            }
        }
    }

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
    std::vector<QRgb> m_palette;
    double m_radius;
    QImage m_image;
    State m_state;
};

namespace {

    // Above this many measured points, a layer's scatter is one raster instead of one QPainter disc
    // each: a replot then costs one pass over the points, not 100,000 ellipses.
    constexpr int kDenseThreshold = 4000;
    constexpr int kOtherRunsAlpha = 110; // other runs' points recede behind their frontiers
    constexpr double kLinearMargin = 0.06; // fraction of the data span left around it when fitting
    constexpr double kLogMargin = 1.25; // factor left around the data on a log axis when fitting
    constexpr double kFailedInset = 0.02; // failed points sit this fraction above the axis' lower edge
    constexpr int kExportWidth = 1200; // exported plots are this size whatever the window is
    constexpr int kExportHeight = 800;

    // Iteration colours, a perceptually even ramp for the theme: dark blue to yellow, ending
    // before the palest yellow so late iterations stay visible on white; on a dark background
    // the same ramp lifted, as the first iterations' dark purple would vanish there.
    QCPColorGradient iterationGradient(bool dark)
    {
        const QRgb light[] = { 0x440154, 0x3b528b, 0x21918c, 0x5ec962, 0xb5de2b };
        const QRgb lifted[] = { 0xb38ce8, 0x6f9ceb, 0x2ec4b6, 0x7ad151, 0xfde725 };
        QCPColorGradient g;
        g.clearColorStops();
        for (int i = 0; i < 5; ++i)
            g.setColorStopAt(i / 4.0, QColor(dark ? lifted[i] : light[i]));
        return g;
    }

    bool isParams(Metric m)
    {
        return m == Metric::DecoderParams || m == Metric::TotalParams;
    }

    // Log ticks at 1, 2 and 5 times the powers of ten while the axis spans few decades (at the
    // powers alone beyond), so a range such as 15 to 120 still reads 20, 50, 100.
    class DecadeTicker final : public QCPAxisTickerLog {
    protected:
        QVector<double> createTickVector(double, const QCPRange& range) override
        {
            QVector<double> ticks;
            if (range.lower <= 0 || range.upper <= range.lower)
                return ticks;
            const double decades = std::log10(range.upper / range.lower);
            const std::vector<double> steps = decades < 1.2 ? std::vector<double> { 1, 2, 3, 5, 7 }
                : decades < 3                               ? std::vector<double> { 1, 2, 5 }
                                                            : std::vector<double> { 1 };
            for (double p = std::pow(10.0, std::floor(std::log10(range.lower))); p <= range.upper; p *= 10)
                for (double step : steps)
                    if (step * p >= range.lower / 1.0001 && step * p <= range.upper * 1.0001)
                        ticks << step * p;
            return ticks;
        }
        QVector<double> createSubTickVector(int, const QVector<double>&) override { return {}; }
    };

} // namespace

QSharedPointer<QCPAxisTicker> decadeTicker()
{
    return QSharedPointer<QCPAxisTicker>(new DecadeTicker);
}

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
    case Metric::Prefill:
        return QStringLiteral("Prefill (ms)");
    case Metric::Decode:
        return QStringLiteral("Decode (ms/token)");
    }
    return {};
}

Metric metricOf(lts::Objective o)
{
    switch (o) {
    case lts::Objective::DecoderParams:
        return Metric::DecoderParams;
    case lts::Objective::Latency:
        return Metric::Latency;
    case lts::Objective::Memory:
        return Metric::PeakMemory;
    case lts::Objective::Prefill:
        return Metric::Prefill;
    case lts::Objective::Decode:
        return Metric::Decode;
    }
    return Metric::Latency;
}

bool metricValue(const lts::Candidate& c, Metric m, double* value)
{
    // An estimated candidate has only the estimates it was given (0: none).
    const bool estimated = c.status == lts::Candidate::Status::Estimated;
    const bool measured = c.status != lts::Candidate::Status::Failed;
    switch (m) {
    case Metric::DecoderParams:
        *value = double(c.decoderParams) / 1e6;
        return true;
    case Metric::TotalParams:
        *value = double(c.totalParams) / 1e6;
        return true;
    case Metric::Latency: // a generation run timed no scoring pass
        *value = c.measurement.latencyMs;
        return measured && !c.measurement.generation && (!estimated || *value > 0);
    case Metric::PeakMemory:
        *value = c.measurement.peakMemoryMb;
        return measured && (!estimated || *value > 0);
    case Metric::Prefill:
        *value = c.measurement.prefillMs;
        return measured && c.measurement.generation;
    case Metric::Decode:
        *value = c.measurement.decodeMsPerToken;
        return measured && c.measurement.generation;
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
    if (m_panning && (event->buttons() & Qt::LeftButton)
        && (event->pos() - m_pressPos).manhattanLength() >= kDragThresholdPx) {
        m_panning = false;
        Q_EMIT userMovedView();
    }
    QCustomPlot::mouseMoveEvent(event);
}

void PlotCanvas::mouseReleaseEvent(QMouseEvent* event)
{
    m_panning = false; // a click: the pointer moving on afterwards is no pan
    QCustomPlot::mouseReleaseEvent(event);
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
    for (Metric m : { Metric::DecoderParams, Metric::TotalParams, Metric::Latency, Metric::PeakMemory, Metric::Prefill,
             Metric::Decode }) {
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

    // The axes' tools and the view's, side by side when the plot is wide enough for both and in
    // two rows when not, so that no label is ever cut (arrangeToolbar).
    auto group = [this](const char* name) {
        auto* tools = new QWidget(this);
        tools->setObjectName(QString::fromLatin1(name));
        // Its width is the plot's to give: a row's minimum would stop the plot from narrowing.
        tools->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Fixed);
        auto* row = new QHBoxLayout(tools);
        row->setContentsMargins(0, 0, 0, 0);
        m_toolGroups.push_back(tools);
        return row;
    };
    QHBoxLayout* x = group("plotXTools");
    x->addWidget(new QLabel(QStringLiteral("x:"), m_toolGroups.back()));
    x->addWidget(m_xCombo);
    x->addWidget(m_logX);
    x->addStretch(1);
    QHBoxLayout* y = group("plotYTools");
    y->addWidget(new QLabel(QStringLiteral("y:"), m_toolGroups.back()));
    y->addWidget(m_yCombo);
    y->addWidget(m_logY);
    y->addStretch(1);
    QHBoxLayout* view = group("plotViewTools");
    view->addStretch(1);
    view->addWidget(m_boxButton);
    view->addWidget(m_follow);
    view->addWidget(reset);
    m_toolbar = new QVBoxLayout;
    m_toolbar->setContentsMargins(0, 0, 0, 0);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addLayout(m_toolbar);
    arrangeToolbar();
    layout->addWidget(m_plot, 1);

    m_plot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    m_plot->setNoAntialiasingOnDrag(true);
    m_plot->setMinimumSize(320, 240);
    // The legend sits under the axis rect, in rows, where it hides no point and no line.
    m_plot->legend->setVisible(true);
    m_plot->axisRect()->insetLayout()->take(m_plot->legend);
    m_plot->plotLayout()->addElement(1, 0, m_plot->legend);
    m_plot->plotLayout()->setRowStretchFactor(1, 0.001);
    m_plot->legend->setFillOrder(QCPLayoutGrid::foColumnsFirst);
    m_plot->legend->setWrap(3);
    m_plot->legend->setMargins(QMargins(4, 2, 4, 2));
    // An empty legend's size hint is its margins, which would cap the plot's column at it: the
    // legend may be as wide as the plot (its height still follows its rows).
    constexpr int kWideAsThePlot = 1 << 20;
    m_plot->legend->setMaximumSize(kWideAsThePlot, QWIDGETSIZE_MAX);
    m_hint = new QCPItemText(m_plot);
    m_hint->position->setType(QCPItemPosition::ptAxisRectRatio);
    m_hint->position->setCoords(0.5, 0.45);
    m_hint->setTextAlignment(Qt::AlignCenter);
    m_hint->setClipToAxisRect(true);
    m_colorScale = new QCPColorScale(m_plot);
    m_colorScale->setType(QCPAxis::atRight);
    m_colorScale->setBarWidth(10);
    m_colorScale->axis()->setLabel(QStringLiteral("iteration"));
    auto wholeIterations = QSharedPointer<QCPAxisTickerFixed>::create();
    wholeIterations->setTickStep(1);
    wholeIterations->setScaleStrategy(QCPAxisTickerFixed::ssMultiples); // 1, 2, 5, 10… iterations apart
    m_colorScale->axis()->setTicker(wholeIterations);
    m_colorScale->setVisible(false); // shown only while one run is drawn
    m_marginGroup = new QCPMarginGroup(m_plot);
    m_plot->axisRect()->setMarginGroup(QCP::msBottom | QCP::msTop, m_marginGroup);
    m_colorScale->setMarginGroup(QCP::msBottom | QCP::msTop, m_marginGroup);
    m_plot->addLayer(QStringLiteral("points"), m_plot->layer(QStringLiteral("main")), QCustomPlot::limBelow);
    m_pointsLayer = m_plot->layer(QStringLiteral("points"));

    connect(m_xCombo, qOverload<int>(&QComboBox::activated), this, [this] {
        setMetrics(Metric(m_xCombo->currentData().toInt()), m_y);
        Q_EMIT metricsChosen();
    });
    connect(m_yCombo, qOverload<int>(&QComboBox::activated), this, [this] {
        setMetrics(m_x, Metric(m_yCombo->currentData().toInt()));
        Q_EMIT metricsChosen();
    });
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
    connect(store, &RunStore::candidatesChanged, this, &ParetoPlot::onCandidatesAppended);
    connect(store, &RunStore::candidatesReplaced, this, &ParetoPlot::rebuild);
    connect(store, &RunStore::frontierChanged, this, &ParetoPlot::onFrontierChanged);
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

// The hint over an empty plot, its paragraphs broken into lines as wide as the plot allows.
void ParetoPlot::fitHint()
{
    constexpr int kHintMargin = 24; // pixels kept free on either side
    const QFontMetrics metrics(m_hint->font());
    const int room = std::max(metrics.averageCharWidth() * 20, m_plot->axisRect()->width() - 2 * kHintMargin);
    QStringList lines;
    for (const QString& paragraph : m_hintText.split(QLatin1Char('\n'))) {
        QString line;
        for (const QString& word : paragraph.split(QLatin1Char(' '), Qt::SkipEmptyParts)) {
            const QString longer = line.isEmpty() ? word : line + QLatin1Char(' ') + word;
            if (!line.isEmpty() && metrics.horizontalAdvance(longer) > room) {
                lines << line;
                line = word;
            } else {
                line = longer;
            }
        }
        lines << line;
    }
    m_hint->setText(lines.join(QLatin1Char('\n')));
}

void ParetoPlot::resizeEvent(QResizeEvent* event)
{
    QWidget::resizeEvent(event);
    arrangeToolbar();
    if (m_hint->visible()) {
        m_plot->plotLayout()->update(QCPLayoutElement::upLayout); // the axis rect's new width
        fitHint();
        m_plot->replot(QCustomPlot::rpQueuedReplot);
    }
}

// The groups of tools (x axis, y axis, view) in as few rows as the plot's width allows, each at
// its natural width at least.
void ParetoPlot::arrangeToolbar()
{
    const QMargins margins = layout()->contentsMargins();
    const int room = contentsRect().width() - margins.left() - margins.right();
    constexpr int kGap = 12;
    std::vector<int> rowOf;
    int row = 0, used = 0;
    for (QWidget* tools : m_toolGroups) {
        const int w = tools->sizeHint().width();
        if (used > 0 && used + kGap + w > room) {
            ++row;
            used = 0;
        }
        used += (used > 0 ? kGap : 0) + w;
        rowOf.push_back(row);
    }
    if (rowOf == m_toolRows)
        return;
    m_toolRows = rowOf;
    while (QLayoutItem* item = m_toolbar->takeAt(0)) {
        if (QLayout* old = item->layout())
            while (QLayoutItem* inner = old->takeAt(0))
                delete inner; // the widget stays, a child of the plot
        delete item;
    }
    QHBoxLayout* line = nullptr;
    for (std::size_t i = 0; i < m_toolGroups.size(); ++i) {
        if (i == 0 || rowOf[i] != rowOf[i - 1]) {
            line = new QHBoxLayout;
            line->setSpacing(kGap);
            m_toolbar->addLayout(line);
        }
        line->addWidget(m_toolGroups[i], m_toolGroups[i]->sizeHint().width());
    }
}

bool ParetoPlot::toolbarWrapped() const
{
    return !m_toolRows.empty() && m_toolRows.back() > 0;
}

bool ParetoPlot::logX() const
{
    return m_logX->isChecked();
}

bool ParetoPlot::logY() const
{
    return m_logY->isChecked();
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
            axis->setTicker(decadeTicker());
        else
            axis->setTicker(QSharedPointer<QCPAxisTicker>::create());
    };
    setup(m_plot->xAxis, m_x, m_logX->isChecked());
    setup(m_plot->yAxis, m_y, m_logY->isChecked());
}

void ParetoPlot::applyTheme()
{
    applyPlotTheme(m_plot, m_dark, { m_colorScale->axis() });
    m_gradient = iterationGradient(m_dark);
    m_colorScale->setGradient(m_gradient);
    m_hint->setColor(m_dark ? QColor(0xb0, 0xb0, 0xb0) : QColor(0x70, 0x70, 0x70));
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
        m_colorScale->setDataRange(QCPRange(0, maxIteration));
}

void ParetoPlot::Bounds::add(double v)
{
    lo = any ? std::min(lo, v) : v;
    hi = any ? std::max(hi, v) : v;
    any = true;
    if (v <= 0)
        return;
    loPositive = anyPositive ? std::min(loPositive, v) : v;
    hiPositive = anyPositive ? std::max(hiPositive, v) : v;
    anyPositive = true;
}

QColor ParetoPlot::groupColor(int layer, int group)
{
    if (m_single)
        return m_gradient.color(group, QCPRange(0, std::max(1, m_maxIteration)));
    QColor color = m_store->layer(layer).color;
    color.setAlpha(kOtherRunsAlpha);
    return color;
}

QCPScatterStyle ParetoPlot::groupStyle(int layer, int group)
{
    const QColor color = groupColor(layer, group);
    return QCPScatterStyle(QCPScatterStyle::ssDisc, color, color, m_single ? 6 : 5);
}

std::vector<QRgb> ParetoPlot::cloudPalette(int layer)
{
    std::vector<QRgb> palette;
    for (int group = 0; group <= (m_single ? m_maxIteration : 0); ++group)
        palette.push_back(qPremultiply(groupColor(layer, group).rgba()));
    return palette;
}

void ParetoPlot::rebuild()
{
    m_plot->clearPlottables(); // graphs and dense point clouds
    m_layers.assign(std::size_t(m_store->layerCount()), LayerPlot {});
    m_overGraph = nullptr;
    m_apartGraphs.clear();
    m_failedGraph = nullptr;
    m_selectionGraph = nullptr;
    m_failed.clear();
    m_xBounds = m_yBounds = Bounds {};
    m_single = m_store->layerCount() == 1;
    m_maxIteration = 0;
    bool anyOver = false, anyFailed = false;
    std::set<std::string> apart; // any other status (a screened, only estimated one, say), drawn apart by name
    std::vector<int> measured(m_layers.size(), 0);
    for (int l = 0; l < m_store->layerCount(); ++l)
        for (const auto& c : m_store->layer(l).candidates) {
            m_maxIteration = std::max(m_maxIteration, c.iteration);
            if (c.status == lts::Candidate::Status::Ok)
                ++measured[std::size_t(l)];
            else if (c.status == lts::Candidate::Status::Failed)
                anyFailed = true;
            else if (c.status == lts::Candidate::Status::OverCeiling)
                anyOver = true;
            else
                apart.insert(lts::candidateStatusName(c.status));
        }
    showColorScale(m_single && m_maxIteration > 0, m_maxIteration);
    int total = 0;
    bool live = false;
    for (int l = 0; l < m_store->layerCount(); ++l) {
        total += int(m_store->layer(l).candidates.size());
        live = live || m_store->layer(l).live;
    }
    m_hintText = live ? QStringLiteral("Measuring the first candidates…\nThe first takes longest: the parts of the "
                                       "latency estimate are timed first, then each candidate is run until its median "
                                       "latency is known.")
                      : QStringLiteral("No candidates yet.\nStart a search (Ctrl+R) with the Configure panel's "
                                       "settings, or open a run folder (Ctrl+O) written by lts-studio or lts-search: "
                                       "every measured architecture appears here.");
    fitHint();
    m_hint->setVisible(total == 0);

    // Made in legend order (frontiers, over ceiling, other statuses, failed); the scatters join
    // their own layer below as plotCandidates meets their groups.
    for (int l = 0; l < m_store->layerCount(); ++l) {
        LayerPlot& lp = m_layers[std::size_t(l)];
        if (measured[std::size_t(l)] > kDenseThreshold) {
            lp.cloud = new DotCloud(m_plot->xAxis, m_plot->yAxis, cloudPalette(l), m_single ? 5 : 4);
            lp.cloud->setLayer(m_pointsLayer);
            lp.cloud->removeFromLegend();
        }
        // Frontier: a step line through its points, sorted along x.
        lp.front = m_plot->addGraph();
        const QColor frontColor = m_single ? QColor(0xff, 0x7f, 0x0e) : m_store->layer(l).color;
        lp.front->setPen(QPen(frontColor, 2));
        lp.front->setLineStyle(isParams(m_x) ? QCPGraph::lsStepRight : QCPGraph::lsStepLeft);
        lp.front->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, QPen(frontColor, 2), Qt::NoBrush, 9));
        lp.spread = new QCPErrorBars(m_plot->xAxis, m_plot->yAxis);
        lp.spread->setPen(QPen(frontColor, 1));
        lp.spread->setWhiskerWidth(5);
        lp.spread->removeFromLegend();
        lp.spread->setDataPlottable(lp.front);
        lp.own = m_plot->addGraph();
        lp.own->setLineStyle(QCPGraph::lsNone);
        lp.own->setScatterStyle(
            QCPScatterStyle(QCPScatterStyle::ssSquare, QPen(frontColor.darker(130), 1.5), Qt::NoBrush, 12));
        lp.confirmed = m_plot->addGraph();
        lp.confirmed->setLineStyle(QCPGraph::lsNone);
        lp.confirmed->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, frontColor, 4));
        lp.confirmed->setName(QStringLiteral("confirmed frontier points"));
        lp.confirmed->removeFromLegend();
        setFrontierData(l);
    }
    if (anyOver) {
        m_overGraph = m_plot->addGraph();
        m_overGraph->setLineStyle(QCPGraph::lsNone);
        m_overGraph->setScatterStyle(
            QCPScatterStyle(QCPScatterStyle::ssDiamond, QPen(QColor(0x90, 0x90, 0x90), 1.5), Qt::NoBrush, 7));
    }
    for (const std::string& status : apart) {
        QCPGraph* g = m_plot->addGraph();
        g->setLineStyle(QCPGraph::lsNone);
        g->setScatterStyle(
            QCPScatterStyle(QCPScatterStyle::ssCircle, QPen(QColor(0x90, 0x90, 0x90), 1), Qt::NoBrush, 5));
        m_apartGraphs[status] = g;
    }
    if (anyFailed) {
        m_failedGraph = m_plot->addGraph();
        m_failedGraph->setLineStyle(QCPGraph::lsNone);
        m_failedGraph->setScatterStyle(
            QCPScatterStyle(QCPScatterStyle::ssCross, QPen(QColor(0xd6, 0x27, 0x28), 2), Qt::NoBrush, 8));
    }
    const QColor ring = m_dark ? QColor(0xee, 0xee, 0xee) : QColor(0x20, 0x20, 0x20);
    m_selectionGraph = m_plot->addGraph();
    m_selectionGraph->setLineStyle(QCPGraph::lsNone);
    m_selectionGraph->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, QPen(ring, 2.5), Qt::NoBrush, 15));
    m_selectionGraph->removeFromLegend();

    for (int l = 0; l < m_store->layerCount(); ++l)
        plotCandidates(l, 0, m_store->layer(l).candidates.size());
    updateLegend();
    if (m_followOn)
        fitToData();
    placeFailedPoints();
    updateSelectionGraph();
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

void ParetoPlot::onCandidatesAppended(int layer)
{
    if (layer < 0 || layer >= m_store->layerCount())
        return;
    if (m_layers.size() != std::size_t(m_store->layerCount())) {
        rebuild();
        return;
    }
    const std::size_t from = m_layers[std::size_t(layer)].drawn;
    const auto& candidates = m_store->layer(layer).candidates;
    if (candidates.size() < from || !fitsPlottables(layer, from, candidates.size())) {
        rebuild();
        return;
    }
    int maxIteration = m_maxIteration;
    for (std::size_t i = from; i < candidates.size(); ++i)
        maxIteration = std::max(maxIteration, candidates[i].iteration);
    if (maxIteration > m_maxIteration) {
        // The colour scale grows: recolour what is drawn, keeping the plottables.
        m_maxIteration = maxIteration;
        if (m_single)
            restyleIterations();
    }
    plotCandidates(layer, from, candidates.size());
    m_hint->setVisible(false);
    if (!axesAreObjectives(layer))
        setFrontierData(layer); // the store keeps only the objectives' frontier up to date
    showColorScale(m_single && m_maxIteration > 0, m_maxIteration);
    updateLegend();
    if (m_followOn)
        fitToData();
    placeFailedPoints();
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

void ParetoPlot::onFrontierChanged(int layer)
{
    if (layer < 0 || std::size_t(layer) >= m_layers.size() || layer >= m_store->layerCount())
        return;
    setFrontierData(layer);
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

bool ParetoPlot::fitsPlottables(int layer, std::size_t from, std::size_t to) const
{
    const LayerPlot& lp = m_layers[std::size_t(layer)];
    const auto& candidates = m_store->layer(layer).candidates;
    int measured = lp.measured;
    for (std::size_t i = from; i < to; ++i) {
        const lts::Candidate& c = candidates[i];
        if (c.status == lts::Candidate::Status::Ok)
            ++measured;
        else if (c.status == lts::Candidate::Status::Failed) {
            if (!m_failedGraph)
                return false;
        } else if (c.status == lts::Candidate::Status::OverCeiling) {
            if (!m_overGraph)
                return false;
        } else if (!m_apartGraphs.count(lts::candidateStatusName(c.status)))
            return false;
    }
    return lp.cloud || measured <= kDenseThreshold;
}

void ParetoPlot::plotCandidates(int layer, std::size_t from, std::size_t to)
{
    const RunLayer& run = m_store->layer(layer);
    LayerPlot& lp = m_layers[std::size_t(layer)];
    std::map<int, std::pair<QVector<double>, QVector<double>>> byGroup; // iteration (or 0) -> points
    std::vector<DotCloud::Dot> dots;
    QVector<double> overX, overY;
    std::map<std::string, std::pair<QVector<double>, QVector<double>>> apart;
    std::vector<PointRef> failed;
    for (std::size_t i = from; i < to; ++i) {
        const lts::Candidate& c = run.candidates[i];
        double v = 0;
        if (metricValue(c, m_x, &v))
            m_xBounds.add(v);
        if (metricValue(c, m_y, &v))
            m_yBounds.add(v);
        double x = 0, y = 0;
        if (!position(c, &x, &y) || c.status == lts::Candidate::Status::Failed) {
            if (c.status == lts::Candidate::Status::Failed)
                failed.push_back({ layer, int(i) });
            continue; // an estimate the axes need is missing: nothing true to draw
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
        ++lp.measured;
        const int group = m_single ? c.iteration : 0;
        if (lp.cloud) {
            dots.push_back({ x, y, group });
            continue;
        }
        auto& points = byGroup[group];
        points.first << x;
        points.second << y;
    }
    lp.drawn = to;
    if (lp.cloud && !dots.empty())
        lp.cloud->addDots(dots);
    for (const auto& [group, points] : byGroup) {
        QCPGraph*& g = lp.groups[group];
        if (!g) {
            g = m_plot->addGraph();
            g->setLayer(m_pointsLayer);
            g->setLineStyle(QCPGraph::lsNone);
            g->setScatterStyle(groupStyle(layer, group));
            g->removeFromLegend();
        }
        g->addData(points.first, points.second);
    }
    // rebuild() and fitsPlottables() see to it that these graphs exist.
    if (m_overGraph && !overX.isEmpty())
        m_overGraph->addData(overX, overY);
    for (const auto& [status, points] : apart)
        if (const auto it = m_apartGraphs.find(status); it != m_apartGraphs.end())
            it->second->addData(points.first, points.second);
    if (!failed.empty()) {
        // After the layer's earlier failed points and before the next layer's, as a rebuild orders them.
        const auto at =
            std::upper_bound(m_failed.begin(), m_failed.end(), PointRef { layer, std::numeric_limits<int>::max() });
        m_failed.insert(at, failed.begin(), failed.end());
    }
}

bool ParetoPlot::axesAreObjectives(int layer) const
{
    const auto& o = m_store->layer(layer).config.search.objectives;
    if (o.size() != 2 || o[0] != lts::Objective::DecoderParams)
        return false;
    const Metric cost = metricOf(o[1]);
    return (m_x == Metric::DecoderParams && m_y == cost) || (m_y == Metric::DecoderParams && m_x == cost);
}

std::vector<std::size_t> ParetoPlot::axesFrontier(int layer) const
{
    // Both axes as costs (parameters negated), swept in order of the first: a point is on the
    // frontier when its second cost is below every one before it.
    struct P {
        double a, b;
        std::size_t index;
    };
    std::vector<P> points;
    const auto& candidates = m_store->layer(layer).candidates;
    for (std::size_t i = 0; i < candidates.size(); ++i) {
        double x = 0, y = 0;
        if (candidates[i].status != lts::Candidate::Status::Ok || !metricValue(candidates[i], m_x, &x)
            || !metricValue(candidates[i], m_y, &y))
            continue;
        points.push_back({ isParams(m_x) ? -x : x, isParams(m_y) ? -y : y, i });
    }
    std::sort(points.begin(), points.end(), [](const P& l, const P& r) { return l.a != r.a ? l.a < r.a : l.b < r.b; });
    std::vector<std::size_t> front;
    double best = std::numeric_limits<double>::infinity();
    for (const P& p : points)
        if (p.b < best) {
            best = p.b;
            front.push_back(p.index);
        }
    std::sort(front.begin(), front.end());
    return front;
}

void ParetoPlot::setFrontierData(int layer)
{
    const RunLayer& run = m_store->layer(layer);
    const LayerPlot& lp = m_layers[std::size_t(layer)];
    const bool same = axesAreObjectives(layer);
    const std::vector<std::size_t> shown = same ? run.frontier : axesFrontier(layer);
    // Drawn along x, so the step line joins neighbours.
    struct Drawn {
        double x, y;
        std::size_t index;
        bool operator<(const Drawn& o) const { return x != o.x ? x < o.x : index < o.index; }
    };
    std::vector<Drawn> order;
    for (std::size_t i : shown) {
        double x = 0, y = 0;
        if (position(run.candidates[i], &x, &y))
            order.push_back({ x, y, i });
    }
    std::sort(order.begin(), order.end());
    const bool latencyY = m_y == Metric::Latency, latencyX = m_x == Metric::Latency;
    QVector<double> fx, fy, minus, plus;
    for (const Drawn& d : order) {
        const lts::Measurement& m = run.candidates[d.index].measurement;
        fx << d.x;
        fy << d.y;
        const bool quartiles = m.latencyQ3Ms > 0 && (latencyX || latencyY);
        minus << (quartiles ? std::max(0.0, m.latencyMs - m.latencyQ1Ms) : 0.0);
        plus << (quartiles ? std::max(0.0, m.latencyQ3Ms - m.latencyMs) : 0.0);
    }
    lp.front->setData(fx, fy, true);
    lp.spread->setErrorType(latencyX ? QCPErrorBars::etKeyError : QCPErrorBars::etValueError);
    lp.spread->setData(minus, plus);
    lp.spread->setVisible(latencyX || latencyY);
    // The search's own frontier: confirmed ones get a dot; rings apart when the axes differ.
    QVector<double> ox, oy, cx, cy;
    int confirmedCount = 0;
    for (std::size_t i : run.frontier) {
        double x = 0, y = 0;
        if (!position(run.candidates[i], &x, &y))
            continue;
        ox << x;
        oy << y;
        if (run.candidates[i].measurement.confirmed) {
            ++confirmedCount;
            cx << x;
            cy << y;
        }
    }
    lp.own->setData(same ? QVector<double>() : ox, same ? QVector<double>() : oy, true);
    lp.confirmed->setData(cx, cy, true);
    const QString confirmed = confirmedCount == ox.size() && confirmedCount > 0
        ? QStringLiteral("all confirmed")
        : QStringLiteral("%1 confirmed").arg(confirmedCount);
    QStringList objectives;
    for (lts::Objective o : run.config.search.objectives)
        objectives << QString::fromStdString(lts::objectiveName(o));
    if (same) {
        lp.front->setName(m_single
                ? QStringLiteral("frontier (%1, %2)").arg(fx.size()).arg(confirmed)
                : QStringLiteral("%1 (%2 on frontier, %3)").arg(run.name).arg(fx.size()).arg(confirmed));
        lp.own->removeFromLegend();
        return;
    }
    lp.front->setName(m_single ? QStringLiteral("frontier of these axes (%1)").arg(fx.size())
                               : QStringLiteral("%1 (frontier of these axes, %2)").arg(run.name).arg(fx.size()));
    lp.own->setName(QStringLiteral("%1search's frontier on %2 (%3, %4)")
                        .arg(m_single ? QString() : run.name + QStringLiteral(": "))
                        .arg(objectives.join(QLatin1Char(',')))
                        .arg(ox.size())
                        .arg(confirmed));
    lp.own->addToLegend();
}

void ParetoPlot::restyleIterations()
{
    for (int l = 0; l < int(m_layers.size()); ++l) {
        LayerPlot& lp = m_layers[std::size_t(l)];
        for (const auto& [group, g] : lp.groups)
            g->setScatterStyle(groupStyle(l, group));
        if (lp.cloud)
            lp.cloud->setPalette(cloudPalette(l));
    }
}

void ParetoPlot::updateLegend()
{
    if (m_overGraph)
        m_overGraph->setName(QStringLiteral("over ceiling (%1)").arg(m_overGraph->dataCount()));
    for (const auto& [status, g] : m_apartGraphs)
        g->setName(QStringLiteral("%1 (%2)")
                       .arg(status == lts::candidateStatusName(lts::Candidate::Status::Estimated)
                               ? QStringLiteral("estimated, never measured")
                               : QString::fromStdString(status).replace(QLatin1Char('_'), QLatin1Char(' ')))
                       .arg(g->dataCount()));
    if (m_failedGraph)
        m_failedGraph->setName(QStringLiteral("failed (%1)").arg(m_failed.size()));
    bool any = false;
    for (int l = 0; l < m_store->layerCount(); ++l)
        any = any || !m_store->layer(l).candidates.empty();
    m_plot->legend->setVisible(any && m_plot->graphCount() > 1);
}

int ParetoPlot::plottedPoints() const
{
    std::size_t n = 0;
    for (const LayerPlot& lp : m_layers)
        n += lp.drawn;
    return int(n);
}

std::vector<QCPAbstractPlottable*> ParetoPlot::layerPlottables(int layer) const
{
    std::vector<QCPAbstractPlottable*> out;
    if (layer < 0 || std::size_t(layer) >= m_layers.size())
        return out;
    const LayerPlot& lp = m_layers[std::size_t(layer)];
    for (const auto& [group, g] : lp.groups)
        out.push_back(g);
    if (lp.cloud)
        out.push_back(lp.cloud);
    out.push_back(lp.own);
    out.push_back(lp.confirmed);
    out.push_back(lp.spread);
    out.push_back(lp.front); // last
    return out;
}

bool ParetoPlot::isDrawn(PointRef p) const
{
    return p.layer >= 0 && std::size_t(p.layer) < m_layers.size() && p.index >= 0
        && std::size_t(p.index) < m_layers[std::size_t(p.layer)].drawn
        && placed(m_store->candidate(p), nullptr, nullptr);
}

bool ParetoPlot::placed(const lts::Candidate& c, double* x, double* y) const
{
    double px = 0, py = 0;
    const bool both = position(c, &px, &py);
    if (x)
        *x = px;
    if (y)
        *y = py;
    return both || c.status == lts::Candidate::Status::Failed; // failed ones sit on the axes' edges
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
        if (!m_store->contains(p) || !placed(m_store->candidate(p), nullptr, nullptr))
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
    auto fit = [](QCPAxis* axis, const Bounds& b) {
        const bool log = axis->scaleType() == QCPAxis::stLogarithmic;
        if (!(log ? b.anyPositive : b.any))
            return;
        const double lo = log ? b.loPositive : b.lo;
        const double hi = log ? b.hiPositive : b.hi;
        if (log) {
            axis->setRange(lo / kLogMargin, hi * kLogMargin);
            return;
        }
        const double pad = hi > lo ? (hi - lo) * kLinearMargin : std::max(std::abs(hi) * 0.1, 1e-3);
        axis->setRange(lo - pad, hi + pad);
    };
    fit(m_plot->xAxis, m_xBounds);
    fit(m_plot->yAxis, m_yBounds);
}

QPoint ParetoPlot::pixelOf(PointRef p) const
{
    if (!isDrawn(p))
        return { -1, -1 };
    double x = 0, y = 0;
    position(m_store->candidate(p), &x, &y);
    return QPointF(m_plot->xAxis->coordToPixel(x), m_plot->yAxis->coordToPixel(y)).toPoint();
}

PointRef ParetoPlot::pointAt(const QPointF& pixel) const
{
    PointRef best;
    double bestDistance = kPickRadiusPx * kPickRadiusPx;
    for (std::size_t l = 0; l < m_layers.size(); ++l) {
        const auto& candidates = m_store->layer(int(l)).candidates;
        for (std::size_t i = 0; i < m_layers[l].drawn; ++i) {
            double x = 0, y = 0;
            if (!placed(candidates[i], &x, &y))
                continue;
            const double dx = m_plot->xAxis->coordToPixel(x) - pixel.x();
            const double dy = m_plot->yAxis->coordToPixel(y) - pixel.y();
            const double d = dx * dx + dy * dy;
            if (d <= bestDistance) {
                bestDistance = d;
                best = { int(l), int(i) };
            }
        }
    }
    return best;
}

std::vector<PointRef> ParetoPlot::pointsIn(const QRect& rect) const
{
    std::vector<PointRef> out;
    for (std::size_t l = 0; l < m_layers.size(); ++l) {
        const auto& candidates = m_store->layer(int(l)).candidates;
        for (std::size_t i = 0; i < m_layers[l].drawn; ++i) {
            double x = 0, y = 0;
            if (!placed(candidates[i], &x, &y))
                continue;
            if (rect.contains(QPointF(m_plot->xAxis->coordToPixel(x), m_plot->yAxis->coordToPixel(y)).toPoint()))
                out.push_back({ int(l), int(i) });
        }
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
            candidateTooltip(m_store->candidate(p), m_store->layer(p.layer)), m_plot);
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
