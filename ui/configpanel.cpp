#include "configpanel.h"

#include "choices.h"
#include "errors.h"
#include "profiler.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QScrollArea>
#include <QScrollBar>
#include <QSpinBox>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace studio {

namespace {

    constexpr int kMaxIntSpin = 1'000'000'000; // a spin box's ceiling where the core checks the real bound
    const char* const kCustomPreset = "(custom)";
    constexpr int kPanelWidth = 360; // leaves the plot most of a 1400-pixel-wide window
    // Spin boxes would otherwise ask for room for their largest value (a million, with decimals).
    constexpr int kSpinMinWidth = 64;
    constexpr int kComboMinChars = 12;

    QSpinBox* spin(QWidget* parent, int lo, int hi)
    {
        auto* s = new QSpinBox(parent);
        s->setRange(lo, hi);
        s->setKeyboardTracking(true);
        s->setMinimumWidth(kSpinMinWidth);
        return s;
    }

    QDoubleSpinBox* dspin(QWidget* parent, double lo, double hi, int decimals, const QString& suffix = {})
    {
        auto* s = new QDoubleSpinBox(parent);
        s->setRange(lo, hi);
        s->setDecimals(decimals);
        s->setSuffix(suffix);
        s->setMinimumWidth(kSpinMinWidth);
        return s;
    }

    QString humanCount(double n)
    {
        if (n < 1e6)
            return QString::number(n, 'f', 0);
        return QString::number(n, 'g', 3);
    }

} // namespace

ConfigPanel::ConfigPanel(QWidget* parent)
    : QWidget(parent)
{
    auto* content = new QWidget;
    auto* v = new QVBoxLayout(content);

    // Search space.
    auto* spaceBox = new QGroupBox(QStringLiteral("Search space"), content);
    auto* space = new QFormLayout(spaceBox);
    m_preset = new QComboBox(spaceBox);
    for (const auto& n : lts::presetNames())
        m_preset->addItem(QString::fromStdString(n));
    m_preset->addItem(QString::fromLatin1(kCustomPreset));
    m_preset->setToolTip(QStringLiteral("Load one of the paper's search spaces; editing any knob makes it custom"));
    m_preset->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_preset->setMinimumContentsLength(kComboMinChars);
    space->addRow(QStringLiteral("Preset"), m_preset);
    m_name = new QLineEdit(spaceBox);
    addField(QStringLiteral("name"), m_name, QStringLiteral("Name recorded in the run folder"));
    space->addRow(QStringLiteral("Name"), m_name);
    m_backbone = new QComboBox(spaceBox);
    m_backbone->addItem(QStringLiteral("GPT-2"), int(lts::Backbone::Gpt2));
    m_backbone->addItem(QStringLiteral("Transformer-XL"), int(lts::Backbone::TransformerXL));
    addField(
        QStringLiteral("backbone"), m_backbone, QStringLiteral("Model family the sampled architectures belong to"));
    space->addRow(QStringLiteral("Backbone"), m_backbone);
    m_layerMin = spin(spaceBox, 0, lts::kMaxLayers + 1);
    m_layerMax = spin(spaceBox, 0, lts::kMaxLayers + 1);
    addField(
        QStringLiteral("n_layer.min"), m_layerMin, QStringLiteral("Fewest decoder layers an architecture may have"));
    addField(QStringLiteral("n_layer.max"), m_layerMax, QStringLiteral("Most decoder layers an architecture may have"));
    auto* layers = new QHBoxLayout;
    layers->addWidget(m_layerMin);
    layers->addWidget(new QLabel(QStringLiteral("to"), spaceBox));
    layers->addWidget(m_layerMax);
    space->addRow(QStringLiteral("n_layer"), layers);
    m_dModel = new QLineEdit(spaceBox);
    m_nHead = new QLineEdit(spaceBox);
    m_dInner = new QLineEdit(spaceBox);
    const QString choicesHelp = QStringLiteral(" (min:max:step or a list like 2, 4, 8)");
    addField(QStringLiteral("d_model"), m_dModel, QStringLiteral("Choices of model width") + choicesHelp);
    addField(QStringLiteral("n_head"), m_nHead, QStringLiteral("Choices of attention heads per layer") + choicesHelp);
    addField(
        QStringLiteral("d_inner"), m_dInner, QStringLiteral("Choices of feed-forward width per layer") + choicesHelp);
    space->addRow(QStringLiteral("d_model"), m_dModel);
    space->addRow(QStringLiteral("n_head"), m_nHead);
    space->addRow(QStringLiteral("d_inner"), m_dInner);
    m_homogeneous = new QCheckBox(QStringLiteral("Homogeneous layers"), spaceBox);
    addField(QStringLiteral("homogeneous"), m_homogeneous,
        QStringLiteral("Same n_head and d_inner in every layer (a smaller space, exportable to Hugging Face)"));
    space->addRow(QString(), m_homogeneous);
    m_innerRatio = dspin(spaceBox, 0, 1000, 2);
    addField(QStringLiteral("min_inner_ratio"), m_innerRatio,
        QStringLiteral("Smallest d_inner allowed, as a multiple of d_model (0: no limit)"));
    space->addRow(QStringLiteral("Min d_inner ratio"), m_innerRatio);
    m_divVal = spin(spaceBox, 0, 65);
    addField(QStringLiteral("div_val"), m_divVal,
        QStringLiteral("Adaptive embedding width divisor per cluster; 1 = plain tied embedding"));
    space->addRow(QStringLiteral("div_val"), m_divVal);
    m_dEmbed = spin(spaceBox, 0, lts::kMaxWidth + 1);
    addField(QStringLiteral("d_embed"), m_dEmbed, QStringLiteral("Width of the token embedding of the first cluster"));
    space->addRow(QStringLiteral("d_embed"), m_dEmbed);
    m_cutoffs = new QLineEdit(spaceBox);
    addField(QStringLiteral("cutoffs"), m_cutoffs,
        QStringLiteral("Vocabulary cluster boundaries of the adaptive embedding, e.g. 19997, 39997 (empty: none)"));
    space->addRow(QStringLiteral("Cutoffs"), m_cutoffs);
    m_vocab = spin(spaceBox, 0, lts::kMaxVocab + 1);
    addField(QStringLiteral("vocab_size"), m_vocab, QStringLiteral("Vocabulary size of the language model"));
    space->addRow(QStringLiteral("Vocabulary"), m_vocab);
    m_seqLen = spin(spaceBox, 0, lts::kMaxSeqLen + 1);
    addField(QStringLiteral("seq_len"), m_seqLen, QStringLiteral("Context length the architectures are built for"));
    space->addRow(QStringLiteral("seq_len"), m_seqLen);
    m_memLen = spin(spaceBox, 0, lts::kMaxSeqLen + 1);
    addField(QStringLiteral("mem_len"), m_memLen, QStringLiteral("Transformer-XL segment memory length"));
    space->addRow(QStringLiteral("mem_len"), m_memLen);
    m_paramsMin = dspin(spaceBox, 0, 1e6, 3, QStringLiteral(" M"));
    m_paramsMax = dspin(spaceBox, 0, 1e6, 3, QStringLiteral(" M"));
    m_paramsMax->setSpecialValueText(QStringLiteral("no limit")); // 0 means unbounded
    addField(QStringLiteral("params_min"), m_paramsMin,
        QStringLiteral("Smallest decoder-parameter count worth measuring, in millions (0: no bound)"));
    addField(QStringLiteral("params_max"), m_paramsMax,
        QStringLiteral("Largest decoder-parameter count worth measuring, in millions (0: no bound)"));
    auto* params = new QHBoxLayout;
    params->addWidget(m_paramsMin);
    params->addWidget(new QLabel(QStringLiteral("to"), spaceBox));
    params->addWidget(m_paramsMax);
    space->addRow(QStringLiteral("Decoder params"), params);
    m_preview = new QLabel(spaceBox);
    m_preview->setObjectName(QStringLiteral("spacePreview"));
    m_preview->setWordWrap(true);
    m_preview->setToolTip(QStringLiteral("Decoder-parameter range and number of distinct architectures of the space"));
    space->addRow(m_preview);
    v->addWidget(spaceBox);

    // Objectives and search.
    auto* searchBox = new QGroupBox(QStringLiteral("Search"), content);
    auto* search = new QFormLayout(searchBox);
    m_objectives = new QComboBox(searchBox);
    m_objectives->addItem(QStringLiteral("Decoder params vs latency"), QStringLiteral("params,latency"));
    m_objectives->addItem(QStringLiteral("Decoder params vs peak memory"), QStringLiteral("params,memory"));
    m_objectives->addItem(QStringLiteral("Params vs latency and memory"), QStringLiteral("params,latency,memory"));
    addField(QStringLiteral("search.objectives"), m_objectives,
        QStringLiteral("What the frontier trades off: more decoder parameters against less latency and/or memory"));
    search->addRow(QStringLiteral("Objectives"), m_objectives);
    m_latencyCeiling = dspin(searchBox, 0, 1e7, 2, QStringLiteral(" ms"));
    m_latencyCeiling->setSpecialValueText(QStringLiteral("none"));
    addField(QStringLiteral("latency_ceiling_ms"), m_latencyCeiling,
        QStringLiteral("Candidates slower than this are kept apart from the frontier (0: no ceiling)"));
    search->addRow(QStringLiteral("Latency ceiling"), m_latencyCeiling);
    m_memoryCeiling = dspin(searchBox, 0, 1e7, 1, QStringLiteral(" MB"));
    m_memoryCeiling->setSpecialValueText(QStringLiteral("none"));
    addField(QStringLiteral("memory_ceiling_mb"), m_memoryCeiling,
        QStringLiteral("Candidates needing more memory are kept apart from the frontier (0: no ceiling)"));
    search->addRow(QStringLiteral("Memory ceiling"), m_memoryCeiling);
    m_algorithm = new QComboBox(searchBox);
    m_algorithm->addItem(QStringLiteral("Evolution (LTS)"), QStringLiteral("evolution"));
    m_algorithm->addItem(QStringLiteral("Random search"), QStringLiteral("random"));
    addField(QStringLiteral("search.algorithm"), m_algorithm,
        QStringLiteral("LTS's evolutionary Pareto search, or random sampling as a baseline"));
    search->addRow(QStringLiteral("Algorithm"), m_algorithm);
    m_iterations = spin(searchBox, 0, kMaxIntSpin);
    addField(QStringLiteral("search.iterations"), m_iterations, QStringLiteral("Number of evolution iterations"));
    search->addRow(QStringLiteral("Iterations"), m_iterations);
    m_parents = spin(searchBox, 0, kMaxIntSpin);
    addField(QStringLiteral("search.parents"), m_parents,
        QStringLiteral("Frontier members picked as parents per iteration"));
    search->addRow(QStringLiteral("Parents"), m_parents);
    m_mutants = spin(searchBox, -1, kMaxIntSpin);
    addField(QStringLiteral("search.mutants"), m_mutants,
        QStringLiteral("New architectures made by mutation per iteration"));
    search->addRow(QStringLiteral("Mutants"), m_mutants);
    m_crossovers = spin(searchBox, -1, kMaxIntSpin);
    addField(QStringLiteral("search.crossovers"), m_crossovers,
        QStringLiteral("New architectures made by crossing two parents per iteration"));
    search->addRow(QStringLiteral("Crossovers"), m_crossovers);
    m_mutationProb = dspin(searchBox, 0, 1, 2);
    m_mutationProb->setSingleStep(0.05);
    addField(QStringLiteral("search.mutation_prob"), m_mutationProb,
        QStringLiteral("Chance that a mutation resamples each gene"));
    search->addRow(QStringLiteral("Mutation prob."), m_mutationProb);
    m_crossoverProb = dspin(searchBox, 0, 1, 2);
    m_crossoverProb->setSingleStep(0.05);
    addField(QStringLiteral("search.crossover_prob"), m_crossoverProb,
        QStringLiteral("Chance that a crossover takes each gene from the first parent"));
    search->addRow(QStringLiteral("Crossover prob."), m_crossoverProb);
    m_seed = new QLineEdit(searchBox);
    addField(
        QStringLiteral("search.seed"), m_seed, QStringLiteral("Random seed: the same seed replays the same search"));
    search->addRow(QStringLiteral("Seed"), m_seed);
    m_timeBudget = dspin(searchBox, 0, 1e7, 0, QStringLiteral(" s"));
    addField(QStringLiteral("search.time_budget_s"), m_timeBudget,
        QStringLiteral("Stop after this many seconds (0: run every iteration)"));
    search->addRow(QStringLiteral("Time budget"), m_timeBudget);
    m_screening = new QCheckBox(QStringLiteral("Screen with latency estimates"), searchBox);
    addField(QStringLiteral("search.screening"), m_screening,
        QStringLiteral("Skip the full measurement of candidates whose estimated latency cannot reach the frontier"));
    search->addRow(QString(), m_screening);
    m_screeningMargin = dspin(searchBox, 0, 0.9, 2);
    m_screeningMargin->setSingleStep(0.05);
    addField(QStringLiteral("search.screening_margin"), m_screeningMargin,
        QStringLiteral("Screening lowers each estimate by this fraction (or its observed error, when larger) first"));
    search->addRow(QStringLiteral("Screening margin"), m_screeningMargin);
    m_presample = spin(searchBox, 0, 1000);
    m_presample->setSuffix(QStringLiteral(" x"));
    addField(QStringLiteral("search.presample"), m_presample,
        QStringLiteral("With screening, draw this many times the architectures a batch holds and keep those the "
                       "latency estimate ranks best (1: keep every sample)"));
    search->addRow(QStringLiteral("Presample"), m_presample);
    m_estimateRounds = spin(searchBox, -1, 1000);
    addField(QStringLiteral("search.estimate_rounds"), m_estimateRounds,
        QStringLiteral("With screening, generations bred from each pool's estimated front, judged by the latency "
                       "estimate alone, before a batch is chosen"));
    search->addRow(QStringLiteral("Estimate rounds"), m_estimateRounds);
    for (QWidget* w : screeningKnobs())
        connect(m_screening, &QCheckBox::toggled, w, &QWidget::setEnabled);
    v->addWidget(searchBox);

    // Target device and protocol.
    auto* deviceBox = new QGroupBox(QStringLiteral("Target device"), content);
    auto* device = new QFormLayout(deviceBox);
    const lts::RuntimeInfo rt = lts::runtimeInfo();
    m_device = new QComboBox(deviceBox);
    for (const auto& d : rt.devices)
        m_device->addItem(QStringLiteral("%1 — %2").arg(QString::fromStdString(d.id), QString::fromStdString(d.name)),
            QString::fromStdString(d.id));
    addField(QStringLiteral("device.device"), m_device,
        QStringLiteral("Where candidates are measured (CUDA devices appear when LibTorch has them)"));
    device->addRow(QStringLiteral("Device"), m_device);
    QString info = QStringLiteral("%1 logical cores · LibTorch %2 · %3")
                       .arg(rt.devices.empty() ? 0 : rt.devices.front().cores)
                       .arg(QString::fromStdString(rt.torchVersion), QString::fromStdString(rt.blas));
    if (!rt.cudaAvailable)
        info += QStringLiteral(" · no CUDA device");
    const std::string warning = lts::blasWarning();
    if (!warning.empty())
        info += QStringLiteral("<br><span style='color:#d62728'>%1</span>")
                    .arg(QString::fromStdString(warning).toHtmlEscaped());
    m_deviceInfo = new QLabel(info, deviceBox);
    m_deviceInfo->setObjectName(QStringLiteral("deviceInfo"));
    m_deviceInfo->setWordWrap(true);
    device->addRow(m_deviceInfo);
    m_threads = spin(deviceBox, 0, 1025);
    addField(QStringLiteral("device.threads"), m_threads,
        QStringLiteral("CPU threads for each forward pass, BLAS included (the paper used 1)"));
    device->addRow(QStringLiteral("Threads"), m_threads);
    m_batch = spin(deviceBox, 0, 4097);
    addField(QStringLiteral("device.batch"), m_batch, QStringLiteral("Sequences per measured forward pass"));
    device->addRow(QStringLiteral("Batch"), m_batch);
    m_protocolSeqLen = spin(deviceBox, 0, lts::kMaxSeqLen + 1);
    m_protocolSeqLen->setSpecialValueText(QStringLiteral("architecture's"));
    addField(QStringLiteral("device.seq_len"), m_protocolSeqLen,
        QStringLiteral("Tokens per measured forward pass (architecture's: its seq_len)"));
    device->addRow(QStringLiteral("Tokens"), m_protocolSeqLen);
    m_warmup = spin(deviceBox, 0, 1001);
    addField(QStringLiteral("device.warmup"), m_warmup,
        QStringLiteral("Untimed passes first: they pay for allocation and kernel selection"));
    device->addRow(QStringLiteral("Warm-up"), m_warmup);
    m_repeats = spin(deviceBox, 0, 10001);
    addField(QStringLiteral("device.repeats"), m_repeats,
        QStringLiteral("At most this many timed passes; their median is the latency"));
    device->addRow(QStringLiteral("Max repeats"), m_repeats);
    m_minRepeats = spin(deviceBox, 0, 10001);
    addField(QStringLiteral("device.min_repeats"), m_minRepeats,
        QStringLiteral("At least this many timed passes, however soon the median settles"));
    device->addRow(QStringLiteral("Min repeats"), m_minRepeats);
    m_tolerance = dspin(deviceBox, 0, 1, 3);
    m_tolerance->setSingleStep(0.01);
    addField(QStringLiteral("device.tolerance"), m_tolerance,
        QStringLiteral("Stop timing once the median is known within this fraction (0: always run every repeat)"));
    device->addRow(QStringLiteral("Tolerance"), m_tolerance);
    v->addWidget(deviceBox);

    // Run folder.
    auto* outBox = new QGroupBox(QStringLiteral("Run folder"), content);
    auto* out = new QHBoxLayout(outBox);
    m_output = new QLineEdit(outBox);
    m_output->setObjectName(QStringLiteral("outputFolder"));
    m_output->setPlaceholderText(QStringLiteral("automatic (a new folder per run)"));
    m_output->setToolTip(
        QStringLiteral("Where candidates.jsonl, frontier.json/.csv and session.json are written as the "
                       "search goes; empty: a new folder under the application's data folder"));
    auto* browse = new QPushButton(QStringLiteral("…"), outBox);
    browse->setToolTip(QStringLiteral("Choose the run folder"));
    out->addWidget(m_output, 1);
    out->addWidget(browse);
    v->addWidget(outBox);
    v->addStretch(1);

    m_status = new QLabel(this);
    m_status->setObjectName(QStringLiteral("configStatus"));
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_status->setMargin(4);

    auto* scroll = new QScrollArea(this);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setWidget(content);
    scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAsNeeded);
    // Wide enough for the form's labels and a readable value in every field.
    setMinimumWidth(kPanelWidth);
    auto* outer = new QVBoxLayout(this);
    outer->setContentsMargins(0, 0, 0, 0);
    outer->addWidget(m_status);
    outer->addWidget(scroll, 1);

    connect(m_preset, qOverload<int>(&QComboBox::activated), this, [this] {
        if (m_preset->currentText() != QLatin1String(kCustomPreset))
            loadPreset(m_preset->currentText());
    });
    connect(browse, &QPushButton::clicked, this, [this] {
        const QString dir = QFileDialog::getExistingDirectory(this, QStringLiteral("Run folder"), m_output->text());
        if (!dir.isEmpty())
            m_output->setText(dir);
    });
    connect(m_backbone, qOverload<int>(&QComboBox::currentIndexChanged), this, &ConfigPanel::updateBackboneFields);
    for (QWidget* w : m_fields) {
        auto changed = [this] {
            if (m_loading)
                return;
            revalidate();
        };
        if (auto* e = qobject_cast<QLineEdit*>(w))
            connect(e, &QLineEdit::textChanged, this, changed);
        else if (auto* s = qobject_cast<QSpinBox*>(w))
            connect(s, qOverload<int>(&QSpinBox::valueChanged), this, changed);
        else if (auto* d = qobject_cast<QDoubleSpinBox*>(w))
            connect(d, qOverload<double>(&QDoubleSpinBox::valueChanged), this, changed);
        else if (auto* c = qobject_cast<QComboBox*>(w))
            connect(c, qOverload<int>(&QComboBox::currentIndexChanged), this, changed);
        else if (auto* b = qobject_cast<QCheckBox*>(w))
            connect(b, &QCheckBox::toggled, this, changed);
    }
    // Editing a knob of the space makes it a custom space.
    for (const char* f :
        { "backbone", "n_layer.min", "n_layer.max", "d_model", "n_head", "d_inner", "homogeneous", "min_inner_ratio",
            "div_val", "d_embed", "cutoffs", "vocab_size", "seq_len", "mem_len", "params_min", "params_max" }) {
        QWidget* w = m_fields.value(QString::fromLatin1(f));
        auto custom = [this] {
            if (!m_loading)
                m_preset->setCurrentIndex(m_preset->findText(QString::fromLatin1(kCustomPreset)));
        };
        if (auto* e = qobject_cast<QLineEdit*>(w))
            connect(e, &QLineEdit::textEdited, this, custom);
        else if (auto* s = qobject_cast<QSpinBox*>(w))
            connect(s, qOverload<int>(&QSpinBox::valueChanged), this, custom);
        else if (auto* d = qobject_cast<QDoubleSpinBox*>(w))
            connect(d, qOverload<double>(&QDoubleSpinBox::valueChanged), this, custom);
        else if (auto* c = qobject_cast<QComboBox*>(w))
            connect(c, qOverload<int>(&QComboBox::activated), this, custom);
        else if (auto* b = qobject_cast<QCheckBox*>(w))
            connect(b, &QCheckBox::clicked, this, custom);
    }

    lts::SearchConfig initial;
    initial.space = lts::preset("gpt2-lts");
    setConfig(initial);
}

QList<QWidget*> ConfigPanel::screeningKnobs() const
{
    return { m_screeningMargin, m_presample, m_estimateRounds };
}

void ConfigPanel::addField(const QString& field, QWidget* w, const QString& tip)
{
    w->setToolTip(tip);
    w->setObjectName(field);
    if (auto* combo = qobject_cast<QComboBox*>(w)) {
        // Long entries (a CPU's full name) must not widen the whole panel.
        combo->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
        combo->setMinimumContentsLength(kComboMinChars);
    }
    m_fields.insert(field, w);
}

void ConfigPanel::loadPreset(const QString& name)
{
    lts::SearchConfig c;
    try {
        c = config();
    } catch (const lts::InputError&) {
        // Keep the defaults for the search and device sections when the current entries are broken.
    }
    c.space = lts::preset(name.toStdString());
    setConfig(c);
}

void ConfigPanel::setConfig(const lts::SearchConfig& c)
{
    m_loading = true;
    m_base = c;
    const lts::SearchSpace& s = c.space;
    const int preset = m_preset->findText(QString::fromStdString(s.name));
    m_preset->setCurrentIndex(preset >= 0 ? preset : m_preset->findText(QString::fromLatin1(kCustomPreset)));
    m_name->setText(QString::fromStdString(s.name));
    m_backbone->setCurrentIndex(m_backbone->findData(int(s.backbone)));
    m_layerMin->setValue(s.nLayerMin);
    m_layerMax->setValue(s.nLayerMax);
    m_dModel->setText(formatChoices(s.dModel));
    m_nHead->setText(formatChoices(s.nHead));
    m_dInner->setText(formatChoices(s.dInner));
    m_homogeneous->setChecked(s.homogeneous);
    m_innerRatio->setValue(s.minInnerRatio);
    m_divVal->setValue(s.divVal);
    m_dEmbed->setValue(s.dEmbed);
    m_cutoffs->setText(formatChoices(s.cutoffs));
    m_vocab->setValue(s.vocabSize);
    m_seqLen->setValue(s.seqLen);
    m_memLen->setValue(s.memLen);
    m_paramsMin->setValue(double(s.paramsMin) / 1e6);
    m_paramsMax->setValue(double(s.paramsMax) / 1e6);
    m_latencyCeiling->setValue(s.latencyCeilingMs);
    m_memoryCeiling->setValue(s.memoryCeilingMb);

    const lts::SearchParams& p = c.search;
    m_algorithm->setCurrentIndex(m_algorithm->findData(QString::fromStdString(lts::algorithmName(p.algorithm))));
    const int objectives = m_objectives->findData(QString::fromStdString(lts::objectivesString(p.objectives)));
    m_objectives->setCurrentIndex(objectives >= 0 ? objectives : 0);
    m_iterations->setValue(p.iterations);
    m_parents->setValue(p.parents);
    m_mutants->setValue(p.mutants);
    m_crossovers->setValue(p.crossovers);
    m_mutationProb->setValue(p.mutationProb);
    m_crossoverProb->setValue(p.crossoverProb);
    m_seed->setText(QString::number(qulonglong(p.seed)));
    m_timeBudget->setValue(p.timeBudgetS);
    m_screening->setChecked(p.screening);
    m_screeningMargin->setValue(p.screeningMargin);
    m_presample->setValue(p.presample);
    m_estimateRounds->setValue(p.estimateRounds);
    for (QWidget* w : screeningKnobs())
        w->setEnabled(p.screening);

    const lts::MeasureProtocol& d = c.protocol;
    int device = m_device->findData(QString::fromStdString(d.device));
    if (device < 0) {
        m_device->addItem(QString::fromStdString(d.device) + QStringLiteral(" (not on this machine)"),
            QString::fromStdString(d.device));
        device = m_device->count() - 1;
    }
    m_device->setCurrentIndex(device);
    m_threads->setValue(d.threads);
    m_batch->setValue(d.batch);
    m_protocolSeqLen->setValue(d.seqLen);
    m_warmup->setValue(d.warmup);
    m_repeats->setValue(d.repeats);
    m_minRepeats->setValue(d.minRepeats);
    m_tolerance->setValue(d.tolerance);
    m_loading = false;
    updateBackboneFields();
    revalidate();
}

lts::SearchConfig ConfigPanel::config() const
{
    lts::SearchConfig c = m_base;
    lts::SearchSpace& s = c.space;
    s.name = m_name->text().trimmed().toStdString();
    if (s.name.empty())
        throw lts::InputError("name", "give the space a name");
    s.backbone = lts::Backbone(m_backbone->currentData().toInt());
    s.nLayerMin = m_layerMin->value();
    s.nLayerMax = m_layerMax->value();
    s.dModel = parseChoices(m_dModel->text(), "d_model");
    s.nHead = parseChoices(m_nHead->text(), "n_head");
    s.dInner = parseChoices(m_dInner->text(), "d_inner");
    s.homogeneous = m_homogeneous->isChecked();
    s.minInnerRatio = m_innerRatio->value();
    s.divVal = m_divVal->value();
    s.dEmbed = m_dEmbed->value();
    s.cutoffs =
        m_cutoffs->text().trimmed().isEmpty() ? std::vector<int> {} : parseChoices(m_cutoffs->text(), "cutoffs");
    s.vocabSize = m_vocab->value();
    s.seqLen = m_seqLen->value();
    s.memLen = s.backbone == lts::Backbone::TransformerXL ? m_memLen->value() : 0;
    s.paramsMin = std::llround(m_paramsMin->value() * 1e6);
    s.paramsMax = std::llround(m_paramsMax->value() * 1e6);
    s.latencyCeilingMs = m_latencyCeiling->value();
    s.memoryCeilingMb = m_memoryCeiling->value();
    s.validate();

    lts::SearchParams& p = c.search;
    p.algorithm = lts::algorithmFromName(m_algorithm->currentData().toString().toStdString(), "search.algorithm");
    p.objectives = lts::parseObjectives(m_objectives->currentData().toString().toStdString(), "search.objectives");
    p.iterations = m_iterations->value();
    p.parents = m_parents->value();
    p.mutants = m_mutants->value();
    p.crossovers = m_crossovers->value();
    p.mutationProb = m_mutationProb->value();
    p.crossoverProb = m_crossoverProb->value();
    bool ok = false;
    p.seed = m_seed->text().trimmed().toULongLong(&ok);
    if (!ok || p.seed > (1ULL << 53))
        throw lts::InputError("search.seed", "must be a whole number between 0 and 2^53");
    p.timeBudgetS = m_timeBudget->value();
    p.screening = m_screening->isChecked();
    p.screeningMargin = m_screeningMargin->value();
    p.presample = m_presample->value();
    p.estimateRounds = m_estimateRounds->value();
    try {
        p.validate();
    } catch (const lts::InputError& e) {
        throw lts::InputError("search." + e.field(), std::string(e.what()).substr(e.field().size() + 2));
    }

    lts::MeasureProtocol& d = c.protocol;
    d.device = m_device->currentData().toString().toStdString();
    d.threads = m_threads->value();
    d.batch = m_batch->value();
    d.seqLen = m_protocolSeqLen->value();
    d.warmup = m_warmup->value();
    d.repeats = m_repeats->value();
    d.minRepeats = m_minRepeats->value();
    d.tolerance = m_tolerance->value();
    try {
        d.validate();
    } catch (const lts::InputError& e) {
        throw lts::InputError("device." + e.field(), std::string(e.what()).substr(e.field().size() + 2));
    }
    return c;
}

QString ConfigPanel::outputFolder() const
{
    return m_output->text().trimmed();
}

void ConfigPanel::setOutputFolder(const QString& folder)
{
    m_output->setText(folder);
}

void ConfigPanel::updateBackboneFields()
{
    m_memLen->setEnabled(lts::Backbone(m_backbone->currentData().toInt()) == lts::Backbone::TransformerXL);
}

QWidget* ConfigPanel::widgetForField(const QString& field) const
{
    // "cutoffs[1]" -> "cutoffs"; "n_head[0]" -> "n_head"; "search.mutants" stays.
    QString f = field;
    const int bracket = f.indexOf(QLatin1Char('['));
    if (bracket >= 0)
        f.truncate(bracket);
    if (QWidget* w = m_fields.value(f))
        return w;
    const int slash = f.indexOf(QLatin1Char('/'));
    if (slash >= 0)
        return m_fields.value(f.left(slash));
    return nullptr;
}

void ConfigPanel::markInvalid(QWidget* w)
{
    if (m_marked == w)
        return;
    // Only the marked widget gets a style sheet: a panel-wide one would freeze every child's palette
    // and break the switch between light and dark.
    for (QWidget* x : { m_marked, w }) {
        if (!x)
            continue;
        const bool invalid = x == w;
        x->setProperty("invalid", invalid);
        x->setStyleSheet(invalid ? QStringLiteral("border: 2px solid #d62728; border-radius: 3px;") : QString());
    }
    m_marked = w;
}

void ConfigPanel::revalidate()
{
    QString problem, field;
    try {
        const lts::SearchConfig c = config();
        m_preview->setText(QStringLiteral("Decoder parameters %1M to %2M · %3 architectures")
                               .arg(double(c.space.minDecoderParams()) / 1e6, 0, 'f', 2)
                               .arg(double(c.space.maxDecoderParams()) / 1e6, 0, 'f', 2)
                               .arg(humanCount(c.space.size())));
    } catch (const lts::InputError& e) {
        problem = QString::fromStdString(e.what());
        field = QString::fromStdString(e.field());
        m_preview->setText(QStringLiteral("Preview unavailable until the space is valid."));
    } catch (const std::exception& e) {
        problem = QString::fromStdString(e.what());
    }
    markInvalid(problem.isEmpty() ? nullptr : widgetForField(field));
    if (problem.isEmpty()) {
        m_status->setText(QStringLiteral("Ready to start."));
        m_status->setStyleSheet(QStringLiteral("color: white; background: #2e7d32; border-radius: 3px;"));
    } else {
        m_status->setText(QStringLiteral("Cannot start — %1").arg(problem));
        m_status->setStyleSheet(QStringLiteral("color: white; background: #b3261e; border-radius: 3px;"));
    }
    const bool changed = problem != m_problem;
    m_problem = problem;
    m_problemField = field;
    if (changed)
        Q_EMIT validityChanged(problem.isEmpty(), problem);
}

} // namespace studio
