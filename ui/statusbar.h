// The status bar's permanent figures of the live search: state, candidates evaluated, iteration,
// elapsed time, ETA, hypervolume, the estimates' accuracy and a progress bar, plus a problem line. It only shows what
// LiveSearch reports.
#pragma once

#include "livesearch.h"

#include <QObject>

class QLabel;
class QProgressBar;
class QStatusBar;

namespace studio {

class SearchStatus final : public QObject {
    Q_OBJECT
public:
    // Adds its widgets to `bar`.
    explicit SearchStatus(QStatusBar* bar);
    void show(const SearchProgress& p);
    void setProblem(const QString& text);

private:
    QLabel* m_problem;
    QLabel* m_state;
    QLabel* m_evaluated;
    QLabel* m_iteration;
    QLabel* m_elapsed;
    QLabel* m_eta;
    QLabel* m_hypervolume;
    QLabel* m_estimate;
    QLabel* m_devices;
    QProgressBar* m_progress;
};

// "49.7 G params·ms": a hypervolume with its units, the product of the objectives'.
QString hypervolumeText(double hv, const std::vector<lts::Objective>& objectives);

// How a state reads in the status bar ("Running", "Stopped by the user", "Finished (…)").
QString stateText(const SearchProgress& p);

// The estimates' accuracy on this device, as the status bar shows it: the share of full
// measurements within ±10% of the calibrated estimate for each chosen cost objective, and
// whether screening is on; the tooltip has the ±5% share and the error quantiles. Empty when
// the search does not use estimates.
struct EstimateSummary {
    QString text;
    QString tooltip;
};
EstimateSummary estimateSummary(const SearchProgress& p);

// The remote devices measuring, as the status bar shows them: "Devices: 1 measuring, 1
// reconnecting", each device's state and why in the tooltip. Empty when measuring here.
struct DeviceSummary {
    QString text;
    QString tooltip;
    bool trouble = false; // a device is reconnecting or lost
};
DeviceSummary deviceSummary(const std::vector<lts::DeviceStatus>& devices);

} // namespace studio
