// A small plot of the primary run's hypervolume and frontier size against elapsed time.
#pragma once

#include "runstore.h"

#include <QWidget>

class QCustomPlot;

namespace studio {

class ConvergencePlot final : public QWidget {
    Q_OBJECT
public:
    explicit ConvergencePlot(RunStore* store, QWidget* parent = nullptr);
    QCustomPlot* canvas() const { return m_plot; }
    void setDark(bool dark);
    void rebuild();

private:
    RunStore* m_store;
    QCustomPlot* m_plot;
    bool m_dark = false;
};

} // namespace studio
