// Everything known about the selected architecture: per-layer table, parameter breakdown,
// latency median and spread, peak memory and the protocol it was measured with.
#pragma once

#include "runstore.h"

#include <QWidget>

class QLabel;
class QPushButton;
class QTableWidget;

namespace studio {

class DetailsPanel final : public QWidget {
    Q_OBJECT
public:
    explicit DetailsPanel(RunStore* store, QWidget* parent = nullptr);

    // For tests and the status bar: the candidate shown, or an invalid ref.
    PointRef shown() const { return m_shown; }
    QLabel* headerLabel() const { return m_header; }
    QLabel* measurementLabel() const { return m_measurement; }
    QLabel* protocolLabel() const { return m_protocol; }
    QTableWidget* layerTable() const { return m_layers; }
    QTableWidget* paramTable() const { return m_params; }

Q_SIGNALS:
    void copyRequested();
    void exportRequested();

private:
    void refresh();

    RunStore* m_store;
    PointRef m_shown;
    QLabel* m_header;
    QLabel* m_measurement;
    QLabel* m_protocol;
    QTableWidget* m_layers;
    QTableWidget* m_params;
    QPushButton* m_copy;
    QPushButton* m_export;
};

} // namespace studio
