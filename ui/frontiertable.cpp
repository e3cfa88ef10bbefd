#include "frontiertable.h"

#include "format.h"

#include <QHeaderView>
#include <QItemSelectionModel>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QVBoxLayout>

#include <algorithm>
#include <set>

namespace studio {

FrontierModel::FrontierModel(const RunStore* store, QObject* parent)
    : QAbstractTableModel(parent)
    , m_store(store)
{
}

std::vector<PointRef> FrontierModel::wantedRows() const
{
    std::vector<PointRef> rows = m_store->allFrontierPoints();
    const std::set<PointRef> front(rows.begin(), rows.end());
    std::vector<PointRef> extra;
    for (PointRef p : m_store->selection())
        if (!front.count(p))
            extra.push_back(p);
    std::sort(extra.begin(), extra.end());
    rows.insert(rows.end(), extra.begin(), extra.end());
    return rows;
}

void FrontierModel::reload()
{
    beginResetModel();
    m_rows = wantedRows();
    endResetModel();
}

int FrontierModel::rowOf(PointRef p) const
{
    const auto it = std::find(m_rows.begin(), m_rows.end(), p);
    return it == m_rows.end() ? -1 : int(it - m_rows.begin());
}

int FrontierModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int FrontierModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant FrontierModel::data(const QModelIndex& index, int role) const
{
    if (!index.isValid() || index.row() >= int(m_rows.size()))
        return {};
    const PointRef ref = m_rows[std::size_t(index.row())];
    if (role == kLayerRole)
        return ref.layer;
    if (role == kIndexRole)
        return ref.index;
    const lts::Candidate& c = m_store->candidate(ref);
    const lts::Measurement& m = c.measurement;
    const bool estimated = c.status == lts::Candidate::Status::Estimated;
    if (role == Qt::FontRole && estimated) {
        QFont f;
        f.setItalic(true);
        return f;
    }
    if (role == Qt::TextAlignmentRole)
        return index.column() == Run ? QVariant() : QVariant(Qt::AlignRight | Qt::AlignVCenter);
    if (role == Qt::ForegroundRole && index.column() == Run)
        return m_store->layer(ref.layer).color;
    if (role == Qt::ToolTipRole)
        return candidateTooltip(c, m_store->layer(ref.layer));
    if (role != Qt::DisplayRole && role != kSortRole)
        return {};
    const bool display = role == Qt::DisplayRole;
    switch (index.column()) {
    case Run:
        return m_store->layer(ref.layer).name;
    case Id:
        return c.id;
    case DecoderParams:
        return display ? QVariant(millions(c.decoderParams)) : QVariant(qlonglong(c.decoderParams));
    case TotalParams:
        return display ? QVariant(millions(c.totalParams)) : QVariant(qlonglong(c.totalParams));
    case Latency:
        if (m.generation) // no scoring pass was timed
            return display ? QVariant(QString()) : QVariant(-1.0);
        if (estimated && display)
            return m.latencyMs > 0 ? QStringLiteral("≈%1 est.").arg(m.latencyMs, 0, 'f', 1) : QString();
        return display ? QVariant(QString::number(m.latencyMs, 'f', 3)) : QVariant(m.latencyMs);
    case LatencyIqr:
        if (estimated || m.generation) // never timed: no spread
            return display ? QVariant(QString()) : QVariant(-1.0);
        return display ? QVariant(QString::number(m.latencyIqrMs, 'f', 3)) : QVariant(m.latencyIqrMs);
    case Prefill:
        if (!m.generation)
            return display ? QVariant(QString()) : QVariant(-1.0);
        return display ? QVariant(QString::number(m.prefillMs, 'f', 3)) : QVariant(m.prefillMs);
    case Decode:
        if (!m.generation)
            return display ? QVariant(QString()) : QVariant(-1.0);
        return display ? QVariant(QString::number(m.decodeMsPerToken, 'f', 3)) : QVariant(m.decodeMsPerToken);
    case PeakMemory:
        if (estimated && display)
            return m.peakMemoryMb > 0 ? QStringLiteral("≈%1 est.").arg(m.peakMemoryMb, 0, 'f', 1) : QString();
        return display ? QVariant(QString::number(m.peakMemoryMb, 'f', 1)) : QVariant(m.peakMemoryMb);
    case Layers:
        return c.arch.nLayer;
    case DModel:
        return c.arch.dModel;
    case NHead:
        return layersSummary(c.arch.nHead);
    case DInner:
        return layersSummary(c.arch.dInner);
    case Iteration:
        return c.iteration;
    case Status:
        return estimated               ? QStringLiteral("estimated, never measured")
            : m_store->onFrontier(ref) ? QStringLiteral("frontier")
                                       : statusText(c) + QStringLiteral(", off the frontier");
    case Confirmed:
        return m.confirmed ? QStringLiteral("yes") : QStringLiteral("no");
    }
    return {};
}

QVariant FrontierModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal)
        return {};
    static const char* const names[ColumnCount] = { "Run", "ID", "Decoder", "Total", "Latency ms", "IQR ms",
        "Prefill ms", "Decode ms/token", "Peak MB", "Layers", "d_model", "n_head", "d_inner", "Iter.", "Status",
        "Confirmed" };
    static const char* const tips[ColumnCount] = { "The run folder the architecture comes from",
        "Candidate number within its run",
        "Decoder parameters: LTS's training-free proxy for perplexity (more is better)",
        "All parameters, embeddings and output head included",
        "Median latency of one forward pass on the target device", "Interquartile range of the timed forward passes",
        "Generation: median time to process the prompt and produce the first token's distribution",
        "Generation: median time of one decode step from the cache (one new token)",
        "High-water mark of memory during one forward pass (a generation run: over prompt and generation)",
        "Number of decoder layers", "Model width", "Attention heads per layer", "Feed-forward width per layer",
        "Search iteration that found it",
        "On the frontier, or selected off it; an estimated candidate was screened out and never measured",
        "Whether the latency was confirmed: measured again, with more passes, apart from the first measurement" };
    if (role == Qt::DisplayRole)
        return QString::fromLatin1(names[section]);
    if (role == Qt::ToolTipRole)
        return QString::fromLatin1(tips[section]);
    return {};
}

FrontierTable::FrontierTable(RunStore* store, QWidget* parent)
    : QWidget(parent)
    , m_store(store)
    , m_model(new FrontierModel(store, this))
    , m_proxy(new QSortFilterProxyModel(this))
    , m_view(new QTableView(this))
{
    m_proxy->setSourceModel(m_model);
    m_proxy->setSortRole(FrontierModel::kSortRole);
    m_view->setObjectName(QStringLiteral("frontierView"));
    m_view->setModel(m_proxy);
    m_view->setSortingEnabled(true);
    m_view->sortByColumn(FrontierModel::DecoderParams, Qt::AscendingOrder);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_view->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_view->setAlternatingRowColors(true);
    m_view->verticalHeader()->setVisible(false);
    m_view->verticalHeader()->setDefaultSectionSize(m_view->fontMetrics().height() + 6);
    m_view->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_view->horizontalHeader()->setStretchLastSection(true);
    m_view->setToolTip(QStringLiteral("Architectures on the Pareto frontier, then selected ones off it; click a header "
                                      "to sort"));
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_view);

    connect(store, &RunStore::layersChanged, this, &FrontierTable::reload);
    connect(store, &RunStore::frontierChanged, this, &FrontierTable::reload);
    connect(store, &RunStore::selectionChanged, this, &FrontierTable::pullSelectionFromStore);
    connect(
        m_view->selectionModel(), &QItemSelectionModel::selectionChanged, this, &FrontierTable::pushSelectionToStore);
    reload();
}

PointRef FrontierTable::refAtViewRow(int row) const
{
    const QModelIndex source = m_proxy->mapToSource(m_proxy->index(row, 0));
    return source.isValid() ? m_model->refAt(source.row()) : PointRef {};
}

int FrontierTable::viewRowOf(PointRef p) const
{
    const int row = m_model->rowOf(p);
    return row < 0 ? -1 : m_proxy->mapFromSource(m_model->index(row, 0)).row();
}

void FrontierTable::showWorkloadColumns()
{
    bool scoring = false, generation = false;
    for (int i = 0; i < m_store->layerCount(); ++i)
        (m_store->layer(i).config.protocol.workload == lts::Workload::Generate ? generation : scoring) = true;
    if (!scoring && !generation)
        scoring = true; // nothing open: the columns of a default search
    for (int column : { FrontierModel::Latency, FrontierModel::LatencyIqr })
        m_view->setColumnHidden(column, !scoring);
    for (int column : { FrontierModel::Prefill, FrontierModel::Decode })
        m_view->setColumnHidden(column, !generation);
}

void FrontierTable::reload()
{
    m_syncing = true;
    m_model->reload();
    showWorkloadColumns();
    m_syncing = false;
    pullSelectionFromStore();
}

void FrontierTable::pushSelectionToStore()
{
    if (m_syncing)
        return;
    std::vector<PointRef> refs;
    const QModelIndex currentIndex = m_view->selectionModel()->currentIndex();
    for (const QModelIndex& index : m_view->selectionModel()->selectedRows())
        refs.push_back(refAtViewRow(index.row()));
    // The row the user clicked last goes first: it is the one the details panel shows.
    const PointRef current = currentIndex.isValid() ? refAtViewRow(currentIndex.row()) : PointRef {};
    const auto it = std::find(refs.begin(), refs.end(), current);
    if (it != refs.end())
        std::rotate(refs.begin(), it, it + 1);

    m_syncing = true;
    m_store->setSelection(refs);
    m_syncing = false;
}

void FrontierTable::pullSelectionFromStore()
{
    if (m_syncing)
        return;
    m_syncing = true;
    if (!m_model->upToDate())
        m_model->reload(); // the selected points off the frontier are rows too
    QItemSelection selection;
    for (PointRef p : m_store->selection()) {
        const int row = viewRowOf(p);
        if (row >= 0)
            selection.select(m_proxy->index(row, 0), m_proxy->index(row, FrontierModel::ColumnCount - 1));
    }
    m_view->selectionModel()->select(selection, QItemSelectionModel::ClearAndSelect);
    const int first = m_store->selection().empty() ? -1 : viewRowOf(m_store->selection().front());
    if (first >= 0)
        m_view->scrollTo(m_proxy->index(first, 0));
    m_syncing = false;
}

} // namespace studio
