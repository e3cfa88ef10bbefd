#include "convergenceplot.h"

#include "theme.h"

#include <qcustomplot.h>

#include <QVBoxLayout>

#include <algorithm>

namespace studio {

ConvergencePlot::ConvergencePlot(RunStore* store, QWidget* parent)
    : QWidget(parent)
    , m_store(store)
    , m_plot(new QCustomPlot(this))
{
    m_plot->setObjectName(QStringLiteral("convergenceCanvas"));
    m_plot->setMinimumSize(200, 140);
    m_plot->setToolTip(QStringLiteral("Hypervolume (how much of the objective space the frontier dominates) and "
                                      "frontier size after each iteration"));
    m_plot->xAxis->setLabel(QStringLiteral("elapsed (s)"));
    m_plot->yAxis->setLabel(QStringLiteral("hypervolume"));
    m_plot->yAxis2->setLabel(QStringLiteral("frontier size"));
    m_plot->yAxis2->setVisible(true);
    m_plot->legend->setVisible(true);
    m_plot->axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignBottom | Qt::AlignRight);
    QFont small = font();
    small.setPointSizeF(small.pointSizeF() * 0.85);
    for (QCPAxis* a : { m_plot->xAxis, m_plot->yAxis, m_plot->yAxis2 }) {
        a->setTickLabelFont(small);
        a->setLabelFont(small);
    }
    m_plot->legend->setFont(small);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_plot);
    connect(store, &RunStore::layersChanged, this, &ConvergencePlot::rebuild);
    connect(store, &RunStore::historyChanged, this, &ConvergencePlot::rebuild);
    setDark(false);
}

void ConvergencePlot::setDark(bool dark)
{
    m_dark = dark;
    applyPlotTheme(m_plot, dark);
    rebuild();
}

void ConvergencePlot::rebuild()
{
    m_plot->clearGraphs();
    const int l = m_store->primaryLayer();
    QVector<double> t, hv, size;
    if (l >= 0)
        for (const auto& p : m_store->layer(l).history) {
            t << p.elapsedS;
            hv << p.hypervolume;
            size << p.frontierSize;
        }
    QCPGraph* hvGraph = m_plot->addGraph(m_plot->xAxis, m_plot->yAxis);
    hvGraph->setName(QStringLiteral("hypervolume"));
    hvGraph->setPen(QPen(QColor(0x1f, 0x77, 0xb4), 2));
    hvGraph->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, 4));
    hvGraph->setData(t, hv, true);
    QCPGraph* sizeGraph = m_plot->addGraph(m_plot->xAxis, m_plot->yAxis2);
    sizeGraph->setName(QStringLiteral("frontier size"));
    sizeGraph->setPen(QPen(QColor(0xff, 0x7f, 0x0e), 2));
    sizeGraph->setLineStyle(QCPGraph::lsStepLeft);
    sizeGraph->setData(t, size, true);
    if (!t.isEmpty()) {
        const double tMax = std::max(1e-3, *std::max_element(t.begin(), t.end()));
        m_plot->xAxis->setRange(0, tMax * 1.05);
        const double hvMax = *std::max_element(hv.begin(), hv.end());
        m_plot->yAxis->setRange(0, hvMax > 0 ? hvMax * 1.1 : 1);
        m_plot->yAxis2->setRange(0, *std::max_element(size.begin(), size.end()) + 1);
    }
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

} // namespace studio
