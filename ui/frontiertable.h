// The frontier of every shown run as a sortable table whose selection follows, and drives, the
// store's selection (and so the plot's). Selected points off the frontier are rows too, after
// the frontier's, so any point clicked on the plot can be read here; an estimated one reads as
// an estimate.
#pragma once

#include "runstore.h"

#include <QAbstractTableModel>
#include <QWidget>

class QSortFilterProxyModel;
class QTableView;

namespace studio {

class FrontierModel final : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column {
        Run,
        Id,
        DecoderParams,
        TotalParams,
        Latency,
        LatencyIqr,
        Prefill,
        Decode,
        PeakMemory,
        Layers,
        DModel,
        NHead,
        DInner,
        Iteration,
        Status,
        Confirmed,
        ColumnCount
    };
    static constexpr int kSortRole = Qt::UserRole + 1; // raw numbers, so sorting is numeric
    static constexpr int kLayerRole = Qt::UserRole + 2;
    static constexpr int kIndexRole = Qt::UserRole + 3;

    explicit FrontierModel(const RunStore* store, QObject* parent = nullptr);
    // Every frontier point, then the selected points off it.
    std::vector<PointRef> wantedRows() const;
    bool upToDate() const { return wantedRows() == m_rows; }
    void reload();
    PointRef refAt(int row) const { return m_rows[std::size_t(row)]; }
    int rowOf(PointRef p) const;

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

private:
    const RunStore* m_store;
    std::vector<PointRef> m_rows;
};

class FrontierTable final : public QWidget {
    Q_OBJECT
public:
    explicit FrontierTable(RunStore* store, QWidget* parent = nullptr);
    QTableView* view() const { return m_view; }
    FrontierModel* model() const { return m_model; }
    // The store entry of a row as the user sees it (after sorting).
    PointRef refAtViewRow(int row) const;
    int viewRowOf(PointRef p) const;

private:
    void reload();
    // Shows the columns of the workloads the shown runs measured: latency for scoring runs,
    // prefill and decode for generation runs.
    void showWorkloadColumns();
    void pushSelectionToStore();
    void pullSelectionFromStore();

    RunStore* m_store;
    FrontierModel* m_model;
    QSortFilterProxyModel* m_proxy;
    QTableView* m_view;
    bool m_syncing = false;
};

} // namespace studio
