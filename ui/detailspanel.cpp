#include "detailspanel.h"

#include "format.h"
#include "paramcount.h"

#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QScrollArea>
#include <QTableWidget>
#include <QVBoxLayout>

#include <algorithm>

namespace studio {

namespace {

    QTableWidget* makeTable(QWidget* parent, const QStringList& headers)
    {
        auto* t = new QTableWidget(0, int(headers.size()), parent);
        t->setHorizontalHeaderLabels(headers);
        t->verticalHeader()->setVisible(false);
        t->verticalHeader()->setDefaultSectionSize(t->fontMetrics().height() + 4);
        t->setEditTriggers(QAbstractItemView::NoEditTriggers);
        t->setSelectionMode(QAbstractItemView::NoSelection);
        t->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
        return t;
    }

    QTableWidgetItem* cell(const QString& text, bool number = true)
    {
        auto* item = new QTableWidgetItem(text);
        if (number)
            item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
        return item;
    }

    constexpr int kMaxLayerRowsShown = 12; // deeper models scroll inside the table

    // Tall enough for `rows` rows, so the panel needs no empty space under short tables.
    void fitHeight(QTableWidget* t, int rows)
    {
        const int shown = std::max(1, std::min(rows, t->rowCount()));
        t->setFixedHeight(t->horizontalHeader()->height() + shown * t->verticalHeader()->defaultSectionSize()
            + 2 * t->frameWidth() + 2);
    }

    QString count(std::int64_t n)
    {
        return QLocale::c().toString(qlonglong(n)).replace(QLatin1Char(','), QChar(0x202f)); // thin space groups
    }

} // namespace

DetailsPanel::DetailsPanel(RunStore* store, QWidget* parent)
    : QWidget(parent)
    , m_store(store)
    , m_header(new QLabel(this))
    , m_measurement(new QLabel(this))
    , m_protocol(new QLabel(this))
    , m_layers(makeTable(this,
          { QStringLiteral("Layer"), QStringLiteral("n_head"), QStringLiteral("d_inner"), QStringLiteral("Params") }))
    , m_params(makeTable(this, { QStringLiteral("Part"), QStringLiteral("Parameters") }))
    , m_copy(new QPushButton(QStringLiteral("Copy JSON"), this))
    , m_export(new QPushButton(QStringLiteral("Export…"), this))
{
    m_header->setObjectName(QStringLiteral("detailsHeader"));
    m_measurement->setObjectName(QStringLiteral("detailsMeasurement"));
    m_protocol->setObjectName(QStringLiteral("detailsProtocol"));
    m_layers->setObjectName(QStringLiteral("detailsLayers"));
    m_params->setObjectName(QStringLiteral("detailsParams"));
    // Plain text without wrapping: the scroll area then knows each label's height for sure.
    for (QLabel* l : { m_header, m_measurement, m_protocol })
        l->setTextFormat(Qt::PlainText);
    QFont bold = m_header->font();
    bold.setBold(true);
    m_header->setFont(bold);
    m_copy->setToolTip(QStringLiteral("Copy the architecture's JSON to the clipboard"));
    m_export->setToolTip(QStringLiteral("Save the selected architectures as JSON, Hugging Face config or CSV"));
    m_layers->setToolTip(QStringLiteral("Attention heads, feed-forward width and decoder parameters of each layer"));
    m_params->setToolTip(QStringLiteral("Where the parameters are, counted analytically"));

    auto* content = new QWidget;
    auto* v = new QVBoxLayout(content);
    v->addWidget(m_header);
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(m_copy);
    buttons->addWidget(m_export);
    buttons->addStretch(1);
    v->addLayout(buttons);
    auto* measured = new QGroupBox(QStringLiteral("Measurement"), content);
    (new QVBoxLayout(measured))->addWidget(m_measurement);
    v->addWidget(measured);
    auto* layers = new QGroupBox(QStringLiteral("Layers"), content);
    (new QVBoxLayout(layers))->addWidget(m_layers);
    v->addWidget(layers);
    auto* params = new QGroupBox(QStringLiteral("Parameter breakdown"), content);
    (new QVBoxLayout(params))->addWidget(m_params);
    v->addWidget(params);
    v->addStretch(1);
    auto* protocol = new QGroupBox(QStringLiteral("Protocol"), content);
    (new QVBoxLayout(protocol))->addWidget(m_protocol);
    v->addWidget(protocol);
    auto* scroll = new QScrollArea(this);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setWidget(content);
    auto* outer = new QVBoxLayout(this);
    outer->setContentsMargins(0, 0, 0, 0);
    outer->addWidget(scroll);

    connect(m_copy, &QPushButton::clicked, this, &DetailsPanel::copyRequested);
    connect(m_export, &QPushButton::clicked, this, &DetailsPanel::exportRequested);
    connect(store, &RunStore::selectionChanged, this, &DetailsPanel::refresh);
    connect(store, &RunStore::layersChanged, this, &DetailsPanel::refresh);
    refresh();
}

void DetailsPanel::refresh()
{
    m_shown = m_store->current();
    const bool any = m_store->contains(m_shown);
    m_copy->setEnabled(any);
    m_export->setEnabled(any);
    m_layers->setRowCount(0);
    m_params->setRowCount(0);
    fitHeight(m_layers, 1);
    fitHeight(m_params, 1);
    if (!any) {
        m_header->setText(QStringLiteral("Click a point on the plot\nor a row of the frontier table."));
        m_measurement->clear();
        m_protocol->clear();
        return;
    }
    const RunLayer& layer = m_store->layer(m_shown.layer);
    const lts::Candidate& c = m_store->candidate(m_shown);
    const lts::ArchConfig& a = c.arch;
    const std::size_t selected = m_store->selection().size();
    const bool onFrontier = m_store->onFrontier(m_shown);
    m_header->setText(
        QStringLiteral("Candidate #%1 of %2%3\n%4, n_layer %5, d_model %6\nd_embed %7, div_val %8\n"
                       "vocab %9, seq_len %10\nStatus: %11, iteration %12\n%13 the frontier")
            .arg(c.id)
            .arg(layer.name, selected > 1 ? QStringLiteral(" (first of %1 selected)").arg(selected) : QString(),
                QString::fromStdString(lts::backboneName(a.backbone)))
            .arg(a.nLayer)
            .arg(a.dModel)
            .arg(a.dEmbed)
            .arg(a.divVal)
            .arg(a.vocabSize)
            .arg(a.seqLen)
            .arg(statusText(c))
            .arg(c.iteration)
            .arg(onFrontier ? QStringLiteral("On") : QStringLiteral("Not on")));

    const lts::Measurement& m = c.measurement;
    auto ms = [](double v) { return QString::number(v, 'f', 3) + QStringLiteral(" ms"); };
    auto mb = [](double v) { return QString::number(v, 'f', 2) + QStringLiteral(" MB"); };
    if (c.status == lts::Candidate::Status::Failed) {
        m_measurement->setText(QStringLiteral("Not measured: %1").arg(QString::fromStdString(m.error)));
    } else if (c.status == lts::Candidate::Status::Estimated) {
        // Nothing only a measurement knows is shown: no spread, repeats or activations.
        QStringList lines { QStringLiteral("Estimated, never measured: its estimates"),
            QStringLiteral("less their margin cannot reach the frontier") };
        lines << estimateLines(c, layer) << QStringLiteral("Weights: %1 (exact)").arg(mb(m.weightsMb));
        m_measurement->setText(lines.join(QLatin1Char('\n')));
    } else if (m.generation) {
        m_measurement->setText(
            QStringLiteral("Generation: prompt %1, then %2 tokens\nPrefill (time to first token): %3\n"
                           "    spread (IQR) %4\nDecode, median per token: %5\n    spread (IQR) %6\n"
                           "Tokens per second: %7\nTimed generations: %8 (%9 decode steps)\n"
                           "Peak memory (generation): %10\nWeights: %11, cache: %12\nCPU utilisation: %13\n"
                           "Model build: %14")
                .arg(layer.config.protocol.prompt)
                .arg(layer.config.protocol.generate)
                .arg(ms(m.prefillMs), ms(m.prefillIqrMs), ms(m.decodeMsPerToken), ms(m.decodeIqrMs),
                    QString::number(m.tokensPerS, 'f', 1))
                .arg(m.repeats)
                .arg(m.decodeSteps)
                .arg(mb(m.peakMemoryMb), mb(m.weightsMb), mb(m.cacheMb), QString::number(m.cpuUtilisation, 'f', 2),
                    QString::number(m.buildMs, 'f', 1) + QStringLiteral(" ms")));
    } else {
        m_measurement->setText(QStringLiteral("Latency, median: %1\nSpread (IQR): %2\nMin to max: %3 to %4\n"
                                              "Timed repeats: %5\nPeak memory: %6\nWeights: %7, activations: %8\n"
                                              "CPU utilisation: %9\nModel build: %10")
                                   .arg(ms(m.latencyMs), ms(m.latencyIqrMs), ms(m.latencyMinMs), ms(m.latencyMaxMs))
                                   .arg(m.repeats)
                                   .arg(mb(m.peakMemoryMb), mb(m.weightsMb), mb(m.activationsMb),
                                       QString::number(m.cpuUtilisation, 'f', 2),
                                       QString::number(m.buildMs, 'f', 1) + QStringLiteral(" ms")));
    }
    QString notes;
    if (const lts::Precision precision = layer.config.protocol.precision; precision != lts::Precision::Fp32)
        notes += QStringLiteral("\nRun in %1%2")
                     .arg(QString::fromStdString(lts::precisionName(precision)),
                         precision == lts::Precision::Int8
                             ? QStringLiteral(": the decoder's linear layers\ndynamically quantised")
                             : QString());
    if (m.coldMs > 0)
        notes += (m.generation ? QStringLiteral("\nFirst (cold) prefill: %1, not timed")
                               : QStringLiteral("\nFirst (cold) pass: %1, not timed"))
                     .arg(ms(m.coldMs));
    if (m.confirmed)
        notes += m.firstDecodeMsPerToken > 0 ? QStringLiteral("\nConfirmed: measured again, more runs;\nfirst "
                                                              "measured %1 per token, prefill %2")
                                                   .arg(ms(m.firstDecodeMsPerToken), ms(m.firstPrefillMs))
            : m.firstLatencyMs > 0
            ? QStringLiteral("\nConfirmed: measured again, more passes;\nfirst measured %1").arg(ms(m.firstLatencyMs))
            : QStringLiteral("\nConfirmed measurement");
    else if (onFrontier && c.status == lts::Candidate::Status::Ok)
        notes += QStringLiteral("\nNot confirmed yet: the search measures\nfrontier points again before it ends");
    if (m.retimed > 0)
        notes +=
            QStringLiteral("\nTimed %1 more time(s): the spread or the\nCPU share showed interference").arg(m.retimed);
    if (m.fromDeviceCache)
        notes += QStringLiteral("\nMeasured by an earlier search on this\ndevice (measurement cache)");
    if (c.latencyEstimateMs > 0)
        notes +=
            (c.status == lts::Candidate::Status::Estimated ? QStringLiteral("\nPart table, uncalibrated: latency %1")
                                                           : QStringLiteral("\nEstimated first (uncalibrated): %1"))
                .arg(ms(c.latencyEstimateMs))
            + (c.memoryEstimateMb > 0 ? QStringLiteral(",\n    peak memory %1").arg(mb(c.memoryEstimateMb))
                                      : QString());
    m_measurement->setText(m_measurement->text() + notes);
    const lts::MeasureProtocol& p = layer.config.protocol;
    m_protocol->setText(QStringLiteral("Device %1, %2 thread(s)\nBatch %3 x %4 tokens\n%5 warm-up + %6 timed passes")
                            .arg(QString::fromStdString(p.device))
                            .arg(p.threads)
                            .arg(p.batch)
                            .arg(p.seqLen > 0 ? p.seqLen : a.seqLen)
                            .arg(p.warmup)
                            .arg(p.repeats));

    lts::ParamBreakdown b;
    try {
        lts::validate(a);
        b = lts::countParams(a);
    } catch (const std::exception&) {
        // A hand-edited run file may hold an architecture the counter refuses; show what we have.
    }
    m_layers->setRowCount(a.nLayer);
    for (int i = 0; i < a.nLayer; ++i) {
        const auto row = std::size_t(i);
        m_layers->setItem(i, 0, cell(QString::number(i)));
        m_layers->setItem(i, 1, cell(row < a.nHead.size() ? QString::number(a.nHead[row]) : QString()));
        m_layers->setItem(i, 2, cell(row < a.dInner.size() ? QString::number(a.dInner[row]) : QString()));
        m_layers->setItem(i, 3, cell(row < b.perLayer.size() ? count(b.perLayer[row]) : QString()));
    }
    const std::pair<const char*, std::int64_t> parts[] = { { "Attention", b.attention },
        { "Feed-forward", b.feedForward }, { "Layer norms", b.layerNorm }, { "Relative position", b.relativePosition },
        { "Final norm", b.finalNorm }, { "Decoder total", b.decoder() }, { "Embedding", b.embedding },
        { "Positional", b.positional }, { "Output head", b.head }, { "Total", b.total() } };
    m_params->setRowCount(int(std::size(parts)));
    int row = 0;
    for (const auto& [name, n] : parts) {
        m_params->setItem(row, 0, cell(QString::fromLatin1(name), false));
        m_params->setItem(row, 1, cell(count(n)));
        ++row;
    }
    fitHeight(m_layers, kMaxLayerRowsShown);
    fitHeight(m_params, m_params->rowCount());
}

} // namespace studio
