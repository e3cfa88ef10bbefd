#include "configpanel.h"

#include "choices.h"
#include "configlimits.h"
#include "errors.h"
#include "format.h"
#include "jsonio.h"
#include "remote.h"
#include "remotedevices.h"
#include "runtime.h"
#include "searchjob.h"

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
#include <QSettings>
#include <QSpinBox>
#include <QTabWidget>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <functional>
#include <vector>

namespace studio {

enum class ConfigSection : int { Space, Search, Device };

// One field of the panel: its key, where and how it is shown, the values core accepts, and how its
// value travels between the widget (as a QVariant) and the configuration.
struct ConfigField {
    enum class Kind { Text, Int, Real, Check, Combo };
    enum Flag : unsigned {
        KeepsPreset = 1u << 0, // a Space field whose edit does not make the space "(custom)"
        NeedsScreening = 1u << 1, // enabled only with screening on
        TransformerXLOnly = 1u << 2, // enabled only for Transformer-XL
        GenerationOnly = 1u << 6, // enabled only when the objectives measure a generation (prefill, decode)
        ScoringOnly = 1u << 7, // enabled only when they measure a scoring pass
        FloorAtLimit = 1u << 3, // the spin box stops at the lowest valid value: 0 means something there
        SameRow = 1u << 4, // shares the previous field's row, after "to"
        KeepForeign = 1u << 5, // a value not among the items (another machine's device) becomes one
    };
    using Items = QList<QPair<QString, QVariant>>;

    QString key; // the value's JSON path ("search.parents"); also the widget's object name
    ConfigSection section = ConfigSection::Space;
    QString label; // the form row's label; a check box's own text
    QString tip;
    Kind kind = Kind::Text;
    std::function<QVariant(const lts::SearchConfig&)> get;
    // Throws lts::InputError naming the field when the widget's value means nothing.
    std::function<void(lts::SearchConfig&, const QVariant&)> set;
    unsigned flags = 0;
    // Int and Real: the values core accepts (configlimits.h); for a Real that core bounds only below, the
    // top is a display cap.
    lts::Limits<double> range { 0, 0 };
    int decimals = 0;
    double step = 0; // Real: the arrows' step (0: the spin box's default)
    QString suffix;
    QString special; // shown instead of the spin box's minimum
    Items (*items)() = nullptr; // Combo

    ConfigField withFlags(unsigned f) const
    {
        ConfigField c = *this;
        c.flags |= f;
        return c;
    }
    ConfigField withSuffix(const char* s) const
    {
        ConfigField c = *this;
        c.suffix = QString::fromUtf8(s);
        return c;
    }
    ConfigField withSpecial(const char* s) const
    {
        ConfigField c = *this;
        c.special = QString::fromUtf8(s);
        return c;
    }
    ConfigField withStep(double s) const
    {
        ConfigField c = *this;
        c.step = s;
        return c;
    }
};

namespace {

    using Config = lts::SearchConfig;
    using Field = ConfigField;
    using Kind = ConfigField::Kind;
    using Items = ConfigField::Items;
    using Section = ConfigSection;
    using Space = lts::SearchSpace;
    using Params = lts::SearchParams;
    using Protocol = lts::MeasureProtocol;

    const char* const kCustomPreset = "(custom)";
    const char* const kBackboneKey = "backbone";
    const char* const kScreeningKey = "search.screening";
    constexpr int kPanelWidth = 360; // leaves the plot most of a 1400-pixel-wide window
    // Spin boxes would otherwise ask for room for their largest value (a million, with decimals).
    constexpr int kSpinMinWidth = 64;
    constexpr int kComboMinChars = 12;
    // Display caps of values core only requires to be positive.
    constexpr double kMaxParamsM = 1e6; // decoder parameters, in millions: a trillion
    constexpr double kMaxCeiling = 1e7; // ms or MB: hours per forward pass, terabytes

    struct Access {
        std::function<QVariant(const Config&)> get;
        std::function<void(Config&, const QVariant&)> set;
    };

    Field field(const char* key, Section section, const char* label, const char* tip, Kind kind, Access access)
    {
        Field f;
        f.key = QString::fromLatin1(key);
        f.section = section;
        f.label = QString::fromUtf8(label);
        f.tip = QString::fromUtf8(tip);
        f.kind = kind;
        f.get = std::move(access.get);
        f.set = std::move(access.set);
        return f;
    }

    Field text(const char* key, Section section, const char* label, const char* tip, Access access)
    {
        return field(key, section, label, tip, Kind::Text, std::move(access));
    }

    Field check(const char* key, Section section, const char* label, const char* tip, Access access)
    {
        return field(key, section, label, tip, Kind::Check, std::move(access));
    }

    Field combo(const char* key, Section section, const char* label, const char* tip, Items (*items)(), Access access)
    {
        Field f = field(key, section, label, tip, Kind::Combo, std::move(access));
        f.items = items;
        return f;
    }

    Field integer(
        const char* key, Section section, const char* label, const char* tip, lts::Limits<int> limits, Access access)
    {
        Field f = field(key, section, label, tip, Kind::Int, std::move(access));
        f.range = { double(limits.lo), double(limits.hi) };
        return f;
    }

    Field real(const char* key, Section section, const char* label, const char* tip, lts::Limits<double> range,
        int decimals, Access access)
    {
        Field f = field(key, section, label, tip, Kind::Real, std::move(access));
        f.range = range;
        f.decimals = decimals;
        return f;
    }

    // A plain member of one part of the configuration: c.*part.*value.
    template <typename Part, typename T> Access member(Part Config::*part, T Part::*value)
    {
        return { [=](const Config& c) { return QVariant::fromValue(c.*part.*value); },
            [=](Config& c, const QVariant& v) { c.*part.*value = v.value<T>(); } };
    }

    Access choices(const char* key, std::vector<int> Space::*value, bool emptyMeansNone = false)
    {
        return { [=](const Config& c) { return QVariant(formatChoices(c.space.*value)); },
            [=](Config& c, const QVariant& v) {
                const QString typed = v.toString();
                c.space.*value =
                    emptyMeansNone && typed.trimmed().isEmpty() ? std::vector<int> {} : parseChoices(typed, key);
            } };
    }

    // A search-space choice list, typed as a range or a list.
    Field choiceList(const char* key, const char* tip, std::vector<int> Space::*value)
    {
        Field f = text(key, Section::Space, key, tip, choices(key, value));
        f.tip += QStringLiteral(" (min:max:step or a list like 2, 4, 8)");
        return f;
    }

    // A decoder-parameter count shown in millions.
    Access millions(std::int64_t Space::*value)
    {
        return { [=](const Config& c) { return QVariant(double(c.space.*value) / 1e6); },
            [=](Config& c, const QVariant& v) { c.space.*value = std::llround(v.toDouble() * 1e6); } };
    }

    Access spaceName()
    {
        return { [](const Config& c) { return QVariant(QString::fromStdString(c.space.name)); },
            [](Config& c, const QVariant& v) {
                c.space.name = v.toString().trimmed().toStdString();
                if (c.space.name.empty())
                    throw lts::InputError("name", "give the space a name");
            } };
    }

    Access backbone()
    {
        return { [](const Config& c) { return QVariant(int(c.space.backbone)); },
            [](Config& c, const QVariant& v) { c.space.backbone = lts::Backbone(v.toInt()); } };
    }

    // mem_len only means something for Transformer-XL; the backbone is read before it.
    Access memLen()
    {
        return { [](const Config& c) { return QVariant(c.space.memLen); },
            [](Config& c, const QVariant& v) {
                c.space.memLen = c.space.backbone == lts::Backbone::TransformerXL ? v.toInt() : 0;
            } };
    }

    Access objectives()
    {
        return { [](const Config& c) {
                    return QVariant(QString::fromStdString(lts::objectivesString(c.search.objectives)));
                },
            [](Config& c, const QVariant& v) {
                c.search.objectives = lts::parseObjectives(v.toString().toStdString(), "search.objectives");
            } };
    }

    Access algorithm()
    {
        return { [](const Config& c) {
                    return QVariant(QString::fromStdString(lts::algorithmName(c.search.algorithm)));
                },
            [](Config& c, const QVariant& v) {
                c.search.algorithm = lts::algorithmFromName(v.toString().toStdString(), "search.algorithm");
            } };
    }

    Access seed()
    {
        return { [](const Config& c) { return QVariant(QString::number(qulonglong(c.search.seed))); },
            [](Config& c, const QVariant& v) {
                bool ok = false;
                c.search.seed = v.toString().trimmed().toULongLong(&ok);
                if (!ok || c.search.seed > std::uint64_t(lts::kMaxSeed))
                    throw lts::InputError("search.seed", "must be a whole number between 0 and 2^53");
            } };
    }

    Access device()
    {
        return { [](const Config& c) { return QVariant(QString::fromStdString(c.protocol.device)); },
            [](Config& c, const QVariant& v) { c.protocol.device = v.toString().toStdString(); } };
    }

    Access precision()
    {
        return { [](const Config& c) {
                    return QVariant(QString::fromStdString(lts::precisionName(c.protocol.precision)));
                },
            [](Config& c, const QVariant& v) {
                c.protocol.precision = lts::parsePrecision(v.toString().toStdString(), "device.precision");
            } };
    }

    Items precisionItems()
    {
        return { { QStringLiteral("fp32"), QStringLiteral("fp32") },
            { QStringLiteral("bf16 (AVX-512 BF16, AMX, CUDA)"), QStringLiteral("bf16") },
            { QStringLiteral("fp16 (CUDA)"), QStringLiteral("fp16") },
            { QStringLiteral("int8 dynamic (CPU)"), QStringLiteral("int8") } };
    }

    Items backboneItems()
    {
        return { { QStringLiteral("GPT-2"), int(lts::Backbone::Gpt2) },
            { QStringLiteral("Transformer-XL"), int(lts::Backbone::TransformerXL) } };
    }

    Items objectiveItems()
    {
        return { { QStringLiteral("Decoder params vs latency"), QStringLiteral("params,latency") },
            { QStringLiteral("Decoder params vs peak memory"), QStringLiteral("params,memory") },
            { QStringLiteral("Params vs latency and memory"), QStringLiteral("params,latency,memory") },
            { QStringLiteral("Decoder params vs decode (per token)"), QStringLiteral("params,decode") },
            { QStringLiteral("Decoder params vs prefill (first token)"), QStringLiteral("params,prefill") },
            { QStringLiteral("Params vs decode and memory"), QStringLiteral("params,decode,memory") },
            { QStringLiteral("Params vs prefill and decode"), QStringLiteral("params,prefill,decode") } };
    }

    Items algorithmItems()
    {
        return { { QStringLiteral("Evolution (calibrated estimates)"), QStringLiteral("evolution") },
            { QStringLiteral("LTS as published (all measured)"), QStringLiteral("lts") },
            { QStringLiteral("Random search"), QStringLiteral("random") } };
    }

    Items deviceItems()
    {
        Items items;
        for (const auto& d : lts::runtimeInfo().devices)
            items.append({ QStringLiteral("%1 — %2").arg(QString::fromStdString(d.id), QString::fromStdString(d.name)),
                QString::fromStdString(d.id) });
        return items;
    }

    // Every field of the panel, in the order of its sections, rows and tab chain.
    const std::vector<Field>& fields()
    {
        static const std::vector<Field> table {
            text("name", Section::Space, "Name", "Name recorded in the run folder", spaceName())
                .withFlags(Field::KeepsPreset),
            combo(kBackboneKey, Section::Space, "Backbone", "Model family the sampled architectures belong to",
                backboneItems, backbone()),
            integer("n_layer.min", Section::Space, "n_layer", "Fewest decoder layers an architecture may have",
                lts::kLayerLimits, member(&Config::space, &Space::nLayerMin)),
            integer("n_layer.max", Section::Space, "n_layer", "Most decoder layers an architecture may have",
                lts::kLayerLimits, member(&Config::space, &Space::nLayerMax))
                .withFlags(Field::SameRow),
            choiceList("d_model", "Choices of model width", &Space::dModel),
            choiceList("n_head", "Choices of attention heads per layer", &Space::nHead),
            choiceList("d_inner", "Choices of feed-forward width per layer", &Space::dInner),
            check("homogeneous", Section::Space, "Homogeneous layers",
                "Same n_head and d_inner in every layer (a smaller space, exportable to Hugging Face)",
                member(&Config::space, &Space::homogeneous)),
            real("min_inner_ratio", Section::Space, "Min d_inner ratio",
                "Smallest d_inner allowed, as a multiple of d_model (0: no limit)", lts::kInnerRatioLimits, 2,
                member(&Config::space, &Space::minInnerRatio)),
            integer("div_val", Section::Space, "div_val",
                "Adaptive embedding width divisor per cluster; 1 = plain tied embedding", lts::kDivValLimits,
                member(&Config::space, &Space::divVal)),
            integer("d_embed", Section::Space, "d_embed", "Width of the token embedding of the first cluster",
                lts::kWidthLimits, member(&Config::space, &Space::dEmbed)),
            text("cutoffs", Section::Space, "Cutoffs",
                "Vocabulary cluster boundaries of the adaptive embedding, e.g. 19997, 39997 (empty: none)",
                choices("cutoffs", &Space::cutoffs, true)),
            integer("vocab_size", Section::Space, "Vocabulary", "Vocabulary size of the language model",
                lts::kVocabLimits, member(&Config::space, &Space::vocabSize)),
            integer("seq_len", Section::Space, "seq_len", "Context length the architectures are built for",
                lts::kSeqLenLimits, member(&Config::space, &Space::seqLen)),
            integer("mem_len", Section::Space, "mem_len", "Transformer-XL segment memory length", lts::kMemLenLimits,
                memLen())
                .withFlags(Field::TransformerXLOnly | Field::FloorAtLimit),
            real("params_min", Section::Space, "Decoder params",
                "Smallest decoder-parameter count worth measuring, in millions (0: no bound)", { 0, kMaxParamsM }, 3,
                millions(&Space::paramsMin))
                .withSuffix(" M"),
            real("params_max", Section::Space, "Decoder params",
                "Largest decoder-parameter count worth measuring, in millions (0: no bound)", { 0, kMaxParamsM }, 3,
                millions(&Space::paramsMax))
                .withSuffix(" M")
                .withSpecial("no limit")
                .withFlags(Field::SameRow),

            combo("search.objectives", Section::Search, "Objectives",
                "What the frontier trades off: more decoder parameters against less latency (a scoring pass of "
                "seq_len tokens) and/or memory, or against the generation loop a shipped model runs: prefill "
                "(the prompt, to the first token) and per-token decode from a cache",
                objectiveItems, objectives()),
            real("latency_ceiling_ms", Section::Search, "Latency ceiling",
                "Candidates slower than this are kept apart from the frontier (0: no ceiling)", { 0, kMaxCeiling }, 2,
                member(&Config::space, &Space::latencyCeilingMs))
                .withSuffix(" ms")
                .withSpecial("none"),
            real("memory_ceiling_mb", Section::Search, "Memory ceiling",
                "Candidates needing more memory are kept apart from the frontier (0: no ceiling)", { 0, kMaxCeiling },
                1, member(&Config::space, &Space::memoryCeilingMb))
                .withSuffix(" MB")
                .withSpecial("none"),
            combo("search.algorithm", Section::Search, "Algorithm",
                "LTS Studio's evolution on estimates calibrated on the device, the LTS procedure as published (every "
                "candidate measured in full), or random sampling as a baseline",
                algorithmItems, algorithm()),
            integer("search.iterations", Section::Search, "Iterations", "Number of evolution iterations",
                lts::kIterationLimits, member(&Config::search, &Params::iterations)),
            integer("search.parents", Section::Search, "Parents", "Frontier members picked as parents per iteration",
                lts::kParentLimits, member(&Config::search, &Params::parents)),
            integer("search.mutants", Section::Search, "Mutants", "New architectures made by mutation per iteration",
                lts::kOffspringLimits, member(&Config::search, &Params::mutants)),
            integer("search.crossovers", Section::Search, "Crossovers",
                "New architectures made by crossing two parents per iteration", lts::kOffspringLimits,
                member(&Config::search, &Params::crossovers)),
            real("search.mutation_prob", Section::Search, "Mutation prob.",
                "Chance that a mutation resamples each gene", lts::kProbabilityLimits, 2,
                member(&Config::search, &Params::mutationProb))
                .withStep(0.05),
            real("search.crossover_prob", Section::Search, "Crossover prob.",
                "Chance that a crossover takes each gene from the first parent", lts::kProbabilityLimits, 2,
                member(&Config::search, &Params::crossoverProb))
                .withStep(0.05),
            text("search.seed", Section::Search, "Seed", "Random seed: the same seed replays the same search", seed()),
            real("search.time_budget_s", Section::Search, "Time budget",
                "Stop after this many seconds (0: run every iteration)", lts::kTimeBudgetLimits, 0,
                member(&Config::search, &Params::timeBudgetS))
                .withSuffix(" s"),
            check(kScreeningKey, Section::Search, "Screen with latency estimates",
                "Skip the full measurement of candidates whose estimated latency cannot reach the frontier",
                member(&Config::search, &Params::screening)),
            real("search.screening_margin", Section::Search, "Screening margin",
                "Screening lowers each estimate by this fraction (or its observed error, when larger) first",
                lts::kScreeningMarginLimits, 2, member(&Config::search, &Params::screeningMargin))
                .withStep(0.05)
                .withFlags(Field::NeedsScreening),
            integer("search.presample", Section::Search, "Presample",
                "With screening, draw this many times the architectures a batch holds and keep those the latency "
                "estimate ranks best (1: keep every sample)",
                lts::kPresampleLimits, member(&Config::search, &Params::presample))
                .withSuffix(" x")
                .withFlags(Field::NeedsScreening),
            integer("search.estimate_rounds", Section::Search, "Estimate rounds",
                "With screening, generations bred from each pool's estimated front, judged by the latency estimate "
                "alone, before a batch is chosen",
                lts::kEstimateRoundLimits, member(&Config::search, &Params::estimateRounds))
                .withFlags(Field::NeedsScreening),

            combo("device.device", Section::Device, "Device",
                "Where candidates are measured (CUDA devices appear when LibTorch has them)", deviceItems, device())
                .withFlags(Field::KeepForeign),
            integer("device.threads", Section::Device, "Threads",
                "CPU threads for each forward pass, BLAS included (the paper used 1)", lts::kThreadLimits,
                member(&Config::protocol, &Protocol::threads)),
            integer("device.batch", Section::Device, "Batch", "Sequences per measured forward pass", lts::kBatchLimits,
                member(&Config::protocol, &Protocol::batch)),
            combo("device.precision", Section::Device, "Precision",
                "The number format candidates run in: fp32; bf16 on CPUs with AVX-512 BF16 or AMX and on CUDA; fp16 "
                "on CUDA; int8: the decoder's linear layers dynamically quantised, on a CPU. Checked on the device "
                "when the search starts",
                precisionItems, precision()),
            integer("device.seq_len", Section::Device, "Tokens",
                "Tokens per measured forward pass (architecture's: its seq_len)", lts::kProtocolSeqLenLimits,
                member(&Config::protocol, &Protocol::seqLen))
                .withSpecial("architecture's")
                .withFlags(Field::ScoringOnly),
            integer("device.prompt", Section::Device, "Prompt",
                "Generation: prompt tokens processed at once (the prefill)", lts::kSeqLenLimits,
                member(&Config::protocol, &Protocol::prompt))
                .withSuffix(" tokens")
                .withFlags(Field::GenerationOnly),
            integer("device.new_tokens", Section::Device, "New tokens",
                "Generation: tokens produced, the first by the prefill, each next one by a decode step from a cache "
                "allocated for prompt + new tokens up front",
                lts::kSeqLenLimits, member(&Config::protocol, &Protocol::generate))
                .withSuffix(" tokens")
                .withFlags(Field::GenerationOnly),
            integer("device.warmup", Section::Device, "Warm-up",
                "Untimed passes first: they pay for allocation and kernel selection", lts::kWarmupLimits,
                member(&Config::protocol, &Protocol::warmup))
                .withFlags(Field::FloorAtLimit),
            integer("device.repeats", Section::Device, "Max repeats",
                "At most this many timed passes; their median is the latency", lts::kRepeatLimits,
                member(&Config::protocol, &Protocol::repeats)),
            integer("device.min_repeats", Section::Device, "Min repeats",
                "At least this many timed passes, however soon the median settles", lts::kRepeatLimits,
                member(&Config::protocol, &Protocol::minRepeats)),
            real("device.tolerance", Section::Device, "Tolerance",
                "Stop timing once the median is known within this fraction (0: always run every repeat)",
                lts::kToleranceLimits, 3, member(&Config::protocol, &Protocol::tolerance))
                .withStep(0.01),
        };
        return table;
    }

    // An integer spin box reaches one step beyond core's limits, and down to 0, so that a value
    // typed out of range gets core's message naming the field instead of being swallowed by the
    // spin box. It stops at the lowest valid value where that is shown as a word or means "none".
    int spinMinimum(const Field& f)
    {
        const int lo = int(f.range.lo);
        return (f.flags & Field::FloorAtLimit) || !f.special.isEmpty() ? lo : std::min(lo - 1, 0);
    }

    int spinMaximum(const Field& f)
    {
        return int(f.range.hi) + 1;
    }

    QWidget* createWidget(const Field& f, QWidget* parent)
    {
        switch (f.kind) {
        case Kind::Text:
            return new QLineEdit(parent);
        case Kind::Check:
            return new QCheckBox(f.label, parent);
        case Kind::Combo: {
            auto* c = new QComboBox(parent);
            for (const auto& [label, data] : f.items())
                c->addItem(label, data);
            // Long entries (a CPU's full name) must not widen the whole panel.
            c->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
            c->setMinimumContentsLength(kComboMinChars);
            return c;
        }
        case Kind::Int: {
            auto* s = new QSpinBox(parent);
            s->setRange(spinMinimum(f), spinMaximum(f));
            s->setKeyboardTracking(true);
            s->setMinimumWidth(kSpinMinWidth);
            s->setSuffix(f.suffix);
            s->setSpecialValueText(f.special);
            return s;
        }
        case Kind::Real: {
            // Exactly core's range: no step past it to type (only tolerance's excluded 1 is refused).
            auto* s = new QDoubleSpinBox(parent);
            s->setRange(f.range.lo, f.range.hi);
            s->setDecimals(f.decimals);
            s->setSuffix(f.suffix);
            s->setMinimumWidth(kSpinMinWidth);
            s->setSpecialValueText(f.special);
            if (f.step > 0)
                s->setSingleStep(f.step);
            return s;
        }
        }
        return nullptr;
    }

    QVariant valueOf(const Field& f, const QWidget* w)
    {
        switch (f.kind) {
        case Kind::Text:
            return static_cast<const QLineEdit*>(w)->text();
        case Kind::Check:
            return static_cast<const QCheckBox*>(w)->isChecked();
        case Kind::Combo:
            return static_cast<const QComboBox*>(w)->currentData();
        case Kind::Int:
            return static_cast<const QSpinBox*>(w)->value();
        case Kind::Real:
            return static_cast<const QDoubleSpinBox*>(w)->value();
        }
        return {};
    }

    void showValue(const Field& f, QWidget* w, const QVariant& v)
    {
        switch (f.kind) {
        case Kind::Text:
            static_cast<QLineEdit*>(w)->setText(v.toString());
            break;
        case Kind::Check:
            static_cast<QCheckBox*>(w)->setChecked(v.toBool());
            break;
        case Kind::Combo: {
            auto* c = static_cast<QComboBox*>(w);
            int i = c->findData(v);
            if (i < 0 && (f.flags & Field::KeepForeign)) {
                c->addItem(v.toString() + QStringLiteral(" (not on this machine)"), v);
                i = c->count() - 1;
            }
            c->setCurrentIndex(std::max(i, 0));
            break;
        }
        case Kind::Int:
            static_cast<QSpinBox*>(w)->setValue(v.toInt());
            break;
        case Kind::Real:
            static_cast<QDoubleSpinBox*>(w)->setValue(v.toDouble());
            break;
        }
    }

    // Keys are JSON paths: "search.*" and "device.*" belong to those parts, the rest to the space.
    enum class Part { Space, Search, Protocol };

    Part partOf(const Field& f)
    {
        if (f.key.startsWith(QLatin1String("search.")))
            return Part::Search;
        if (f.key.startsWith(QLatin1String("device.")))
            return Part::Protocol;
        return Part::Space;
    }

    // Core's check of one part, its field named the way the panel's keys are.
    void validate(const Config& c, Part part)
    {
        try {
            switch (part) {
            case Part::Space:
                c.space.validate();
                break;
            case Part::Search:
                c.search.validate();
                break;
            case Part::Protocol:
                c.protocol.validate();
                break;
            }
        } catch (const lts::InputError& e) {
            if (part == Part::Space)
                throw;
            throw lts::InputError((part == Part::Search ? "search." : "device.") + e.field(), e.rule());
        }
    }

    // Where the configuration measures, as the remote devices box says: their kind becomes the
    // protocol's device. Throws InputError("device.remote", ...) for an empty pool or devices of
    // different kinds.
    void setRemote(Config& c, const RemoteDevicesBox& box)
    {
        c.remoteDevices = box.devices();
        c.remoteProgram = box.remoteProgram();
        if (!box.isRemote())
            return;
        if (c.remoteDevices.empty())
            throw lts::InputError(
                "device.remote", "add a device to the pool (user@host:port), or measure on this computer");
        for (std::size_t i = 0; i < c.remoteDevices.size(); ++i) {
            const lts::DeviceSpec d =
                lts::DeviceSpec::parse(c.remoteDevices[i], "device.remote[" + std::to_string(i) + "]");
            if (i == 0)
                c.protocol.device = d.device;
            else if (d.device != c.protocol.device)
                throw lts::InputError("device.remote[" + std::to_string(i) + "]",
                    "measures on " + d.device + " but the pool's first device on " + c.protocol.device
                        + "; a pool is of one kind");
        }
    }

    QString deviceInfoText()
    {
        const lts::RuntimeInfo rt = lts::runtimeInfo();
        QString info = QStringLiteral("%1 logical cores · LibTorch %2 · %3")
                           .arg(rt.devices.empty() ? 0 : rt.devices.front().cores)
                           .arg(QString::fromStdString(rt.torchVersion), QString::fromStdString(rt.blas));
        if (!rt.cudaAvailable)
            info += QStringLiteral(" · no CUDA device");
        for (const std::string& warning : { lts::blasWarning(), lts::blasKernelNote() })
            if (!warning.empty())
                info += QStringLiteral("<br><span style='color:#d62728'>%1</span>")
                            .arg(QString::fromStdString(warning).toHtmlEscaped());
        return info;
    }

    // The planned number of candidates and, once a search of this space and protocol ran here,
    // how long they take at its pace.
    QString plannedText(const lts::SearchConfig& c)
    {
        const double n = lts::plannedCandidates(c);
        QString text = QStringLiteral("Planned: about %1").arg(countText(n, QStringLiteral("candidate")));
        const double pace = QSettings().value(ConfigPanel::paceKey(c), -1.0).toDouble();
        const double budget = c.search.timeBudgetS;
        if (pace > 0) {
            const double s = n * pace;
            text += QStringLiteral(",\n%1 at %2 s each (the last search\nof this space here)")
                        .arg(durationText(s))
                        .arg(pace, 0, 'f', pace < 10 ? 2 : 0);
            if (budget > 0 && budget < s)
                text += QStringLiteral(";\nthe time budget stops it after %1").arg(durationText(budget));
        } else {
            text += budget > 0 ? QStringLiteral(";\nthe time budget stops it after %1").arg(durationText(budget))
                               : QStringLiteral(";\nhow long they take shows once the first\nare measured (a time "
                                                "budget caps the run)");
        }
        return text;
    }

} // namespace

QString ConfigPanel::paceKey(const lts::SearchConfig& c)
{
    const lts::MeasureProtocol& p = c.protocol;
    return QStringLiteral("pace/%1|%2|%3|%4x%5|%6")
        .arg(QString::fromStdString(c.space.name), QString::fromStdString(p.device))
        .arg(p.threads)
        .arg(p.batch)
        .arg(p.seqLen)
        .arg(QString::fromStdString(lts::objectivesString(c.search.objectives)));
}

void ConfigPanel::syncPresetName(const lts::SearchSpace& space)
{
    // Values put back to a preset's make it that preset again (whatever the space is named).
    QJsonObject mine = lts::spaceToJson(space);
    mine.remove(QStringLiteral("name"));
    QString match = QString::fromLatin1(kCustomPreset);
    for (const auto& n : lts::presetNames()) {
        QJsonObject theirs = lts::spaceToJson(lts::preset(n));
        theirs.remove(QStringLiteral("name"));
        if (theirs == mine)
            match = QString::fromStdString(n);
    }
    m_preset->setCurrentIndex(m_preset->findText(match));
}

void ConfigPanel::setRunState(const QString& text, bool running)
{
    if (text == m_runState && running == m_running)
        return;
    m_runState = text;
    m_running = running;
    revalidate();
}

QString ConfigPanel::bannerText() const
{
    return m_status->text();
}

ConfigPanel::ConfigPanel(QWidget* parent)
    : QWidget(parent)
{
    // Three tabs instead of one long scrolled form: the device and the run folder are a click
    // away, not a long scroll under the space's knobs.
    m_tabs = new QTabWidget(this);
    m_tabs->setObjectName(QStringLiteral("configTabs"));
    m_tabs->setDocumentMode(true);
    // A tab: its group boxes stacked at the top of a scrolled page.
    auto addTab = [this](const QString& title, std::initializer_list<QWidget*> boxes) {
        auto* page = new QWidget;
        auto* column = new QVBoxLayout(page);
        for (QWidget* box : boxes)
            column->addWidget(box);
        column->addStretch(1);
        auto* scroll = new QScrollArea(m_tabs);
        scroll->setWidgetResizable(true);
        scroll->setFrameShape(QFrame::NoFrame);
        scroll->setWidget(page);
        m_tabs->addTab(scroll, title);
    };

    auto* spaceBox = new QGroupBox(QStringLiteral("Search space"));
    auto* space = new QFormLayout(spaceBox);
    m_preset = new QComboBox(spaceBox);
    m_preset->setObjectName(QStringLiteral("preset"));
    for (const auto& n : lts::presetNames())
        m_preset->addItem(QString::fromStdString(n));
    m_preset->addItem(QString::fromLatin1(kCustomPreset));
    m_preset->setToolTip(QStringLiteral("Load one of the paper's search spaces; editing any knob makes it custom"));
    m_preset->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_preset->setMinimumContentsLength(kComboMinChars);
    space->addRow(QStringLiteral("Preset"), m_preset);
    m_preview = new QLabel(spaceBox);
    m_preview->setObjectName(QStringLiteral("spacePreview"));
    // Lines broken by hand: a word-wrapped label in a form inside a scroll area is given too
    // little height, and its last line would be cut off.
    m_preview->setTextFormat(Qt::PlainText);
    m_preview->setToolTip(QStringLiteral("Decoder-parameter range and number of distinct architectures of the space, "
                                         "and the candidates the search plans to measure"));
    space->addRow(m_preview); // under the preset, in sight before the knobs
    addFields(space, Section::Space);
    addTab(QStringLiteral("Space"), { spaceBox });

    auto* searchBox = new QGroupBox(QStringLiteral("Search"));
    addFields(new QFormLayout(searchBox), Section::Search);
    addTab(QStringLiteral("Search"), { searchBox });

    auto* deviceBox = new QGroupBox(QStringLiteral("Target device"));
    auto* device = new QFormLayout(deviceBox);
    addFields(device, Section::Device);
    auto* deviceInfo = new QLabel(deviceInfoText(), deviceBox);
    deviceInfo->setObjectName(QStringLiteral("deviceInfo"));
    deviceInfo->setWordWrap(true);
    device->insertRow(1, deviceInfo); // under the device it describes
    m_remote = new RemoteDevicesBox(deviceBox);
    device->insertRow(0, m_remote);
    connect(m_remote, &RemoteDevicesBox::changed, this, [this, device, deviceInfo] {
        // The remote devices' kind is in their addresses; the local device list is this machine's.
        device->setRowVisible(deviceInfo, !m_remote->isRemote());
        device->setRowVisible(m_fields.value(QStringLiteral("device.device")), !m_remote->isRemote());
        if (!m_loading)
            revalidate();
    });

    auto* outBox = new QGroupBox(QStringLiteral("Run folder"));
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
    addTab(QStringLiteral("Device && folder"), { deviceBox, outBox });

    m_status = new QLabel(this);
    m_status->setObjectName(QStringLiteral("configStatus"));
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_status->setMargin(4);

    // Wide enough for the form's labels and a readable value in every field.
    setMinimumWidth(kPanelWidth);
    auto* outer = new QVBoxLayout(this);
    outer->setContentsMargins(0, 0, 0, 0);
    outer->addWidget(m_status);
    outer->addWidget(m_tabs, 1);

    connect(m_preset, qOverload<int>(&QComboBox::activated), this, [this] {
        if (m_preset->currentText() != QLatin1String(kCustomPreset))
            loadPreset(m_preset->currentText());
    });
    connect(browse, &QPushButton::clicked, this, [this] {
        const QString dir = QFileDialog::getExistingDirectory(this, QStringLiteral("Run folder"), m_output->text());
        if (!dir.isEmpty())
            m_output->setText(dir);
    });

    lts::SearchConfig initial;
    initial.space = lts::preset("gpt2-lts");
    setConfig(initial);
}

void ConfigPanel::addFields(QFormLayout* form, ConfigSection section)
{
    QWidget* box = form->parentWidget();
    const std::vector<Field>& all = fields();
    QHBoxLayout* row = nullptr; // the row of a pair of fields ("n_layer 2 to 15")
    for (std::size_t i = 0; i < all.size(); ++i) {
        const Field& f = all[i];
        if (f.section != section)
            continue;
        QWidget* w = createWidget(f, box);
        w->setToolTip(f.tip);
        w->setObjectName(f.key);
        m_fields.insert(f.key, w);
        watch(f, w);
        if (f.flags & Field::SameRow) {
            row->addWidget(new QLabel(QStringLiteral("to"), box));
            row->addWidget(w);
        } else if (i + 1 < all.size() && (all[i + 1].flags & Field::SameRow)) {
            row = new QHBoxLayout;
            row->addWidget(w);
            form->addRow(f.label, row);
        } else {
            form->addRow(f.kind == Kind::Check ? QString() : f.label, w);
        }
    }
}

void ConfigPanel::watch(const ConfigField& f, QWidget* w)
{
    auto changed = [this] {
        if (!m_loading)
            revalidate();
    };
    // Editing a knob of the space makes it a custom space, unless the values are a preset's again.
    auto custom = [this] {
        if (m_loading)
            return;
        try {
            syncPresetName(config().space);
        } catch (const std::exception&) {
            m_preset->setCurrentIndex(m_preset->findText(QString::fromLatin1(kCustomPreset)));
        }
    };
    const bool knob = f.section == Section::Space && !(f.flags & Field::KeepsPreset);
    switch (f.kind) {
    case Kind::Text:
        connect(static_cast<QLineEdit*>(w), &QLineEdit::textChanged, this, changed);
        if (knob)
            connect(static_cast<QLineEdit*>(w), &QLineEdit::textEdited, this, custom);
        break;
    case Kind::Check:
        connect(static_cast<QCheckBox*>(w), &QCheckBox::toggled, this, changed);
        if (knob)
            connect(static_cast<QCheckBox*>(w), &QCheckBox::clicked, this, custom);
        break;
    case Kind::Combo:
        connect(static_cast<QComboBox*>(w), qOverload<int>(&QComboBox::currentIndexChanged), this, changed);
        if (knob)
            connect(static_cast<QComboBox*>(w), qOverload<int>(&QComboBox::activated), this, custom);
        break;
    case Kind::Int:
        connect(static_cast<QSpinBox*>(w), qOverload<int>(&QSpinBox::valueChanged), this, changed);
        if (knob)
            connect(static_cast<QSpinBox*>(w), qOverload<int>(&QSpinBox::valueChanged), this, custom);
        break;
    case Kind::Real:
        connect(static_cast<QDoubleSpinBox*>(w), qOverload<double>(&QDoubleSpinBox::valueChanged), this, changed);
        if (knob)
            connect(static_cast<QDoubleSpinBox*>(w), qOverload<double>(&QDoubleSpinBox::valueChanged), this, custom);
        break;
    }
    if (f.key == QLatin1String(kBackboneKey) || f.key == QLatin1String("search.objectives"))
        connect(static_cast<QComboBox*>(w), qOverload<int>(&QComboBox::currentIndexChanged), this,
            &ConfigPanel::updateEnabled);
    if (f.key == QLatin1String(kScreeningKey))
        connect(static_cast<QCheckBox*>(w), &QCheckBox::toggled, this, &ConfigPanel::updateEnabled);
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
    const int preset = m_preset->findText(QString::fromStdString(c.space.name));
    m_preset->setCurrentIndex(preset >= 0 ? preset : m_preset->findText(QString::fromLatin1(kCustomPreset)));
    for (const Field& f : fields())
        showValue(f, m_fields.value(f.key), f.get(c));
    m_remote->setDevices(c.remoteDevices, c.remoteProgram);
    m_loading = false;
    updateEnabled();
    revalidate();
}

lts::SearchConfig ConfigPanel::config() const
{
    lts::SearchConfig c = m_base;
    // Each part is read and checked before the next, so the first problem is the space's, then the
    // search's, then the device's.
    for (const Part part : { Part::Space, Part::Search, Part::Protocol }) {
        for (const Field& f : fields())
            if (partOf(f) == part)
                f.set(c, valueOf(f, m_fields.value(f.key)));
        if (part == Part::Protocol) {
            setRemote(c, *m_remote);
            lts::alignWorkload(c);
        }
        validate(c, part);
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

void ConfigPanel::updateEnabled()
{
    const bool screening = static_cast<QCheckBox*>(m_fields.value(QString::fromLatin1(kScreeningKey)))->isChecked();
    const auto backbone = lts::Backbone(
        static_cast<QComboBox*>(m_fields.value(QString::fromLatin1(kBackboneKey)))->currentData().toInt());
    const QString objectives =
        static_cast<QComboBox*>(m_fields.value(QStringLiteral("search.objectives")))->currentData().toString();
    bool generation = false;
    try {
        generation = lts::workloadOf(lts::parseObjectives(objectives.toStdString())) == lts::Workload::Generate;
    } catch (const lts::InputError&) {
        // no choice shown yet: config() names the problem
    }
    for (const Field& f : fields()) {
        if (f.flags & Field::NeedsScreening)
            m_fields.value(f.key)->setEnabled(screening && !generation);
        if (f.flags & Field::GenerationOnly)
            m_fields.value(f.key)->setEnabled(generation);
        if (f.flags & Field::ScoringOnly)
            m_fields.value(f.key)->setEnabled(!generation);
        if (f.key == QLatin1String(kScreeningKey)) // a generation is never estimated
            m_fields.value(f.key)->setEnabled(!generation);
        if (f.flags & Field::TransformerXLOnly)
            m_fields.value(f.key)->setEnabled(backbone == lts::Backbone::TransformerXL);
    }
}

QWidget* ConfigPanel::widgetForField(const QString& field) const
{
    // "cutoffs[1]" -> "cutoffs"; "n_head[0]" -> "n_head"; "search.mutants" stays.
    QString f = field;
    const int bracket = f.indexOf(QLatin1Char('['));
    if (bracket >= 0)
        f.truncate(bracket);
    if (f == QLatin1String("device.remote"))
        return m_remote->poolWidget();
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
    // The tab holding the problem says so, as the field itself may be out of sight.
    for (int i = 0; i < m_tabs->count(); ++i) {
        QString title = m_tabs->tabText(i).remove(QStringLiteral(" ⚠"));
        if (w && m_tabs->widget(i)->isAncestorOf(w))
            title += QStringLiteral(" ⚠");
        m_tabs->setTabText(i, title);
    }
}

void ConfigPanel::revalidate()
{
    QString problem, field;
    try {
        const lts::SearchConfig c = config();
        m_preview->setText(QStringLiteral("Decoder parameters %1M to %2M\n%3\n%4")
                               .arg(double(c.space.minDecoderParams()) / 1e6, 0, 'f', 2)
                               .arg(double(c.space.maxDecoderParams()) / 1e6, 0, 'f', 2)
                               .arg(countText(c.space.size(), QStringLiteral("architecture")), plannedText(c)));
        syncPresetName(c.space);
    } catch (const lts::InputError& e) {
        problem = QString::fromStdString(e.what());
        field = QString::fromStdString(e.field());
        m_preview->setText(QStringLiteral("Preview unavailable until the space is valid."));
    } catch (const std::exception& e) {
        problem = QString::fromStdString(e.what());
    }
    markInvalid(problem.isEmpty() ? nullptr : widgetForField(field));
    if (m_running) {
        m_status->setText(m_runState);
        m_status->setStyleSheet(QStringLiteral("color: white; background: #1f5f99; border-radius: 3px;"));
    } else if (problem.isEmpty()) {
        m_status->setText(m_runState.isEmpty() ? QStringLiteral("Ready to start.")
                                               : m_runState + QStringLiteral(" Ready to start a new search."));
        m_status->setStyleSheet(QStringLiteral("color: white; background: #2e7d32; border-radius: 3px;"));
    } else {
        m_status->setText(QStringLiteral("Cannot start — %1").arg(problem));
        m_status->setStyleSheet(QStringLiteral("color: white; background: #b3261e; border-radius: 3px;"));
    }
    const bool changed = problem != m_problem;
    m_problem = problem;
    if (changed)
        Q_EMIT validityChanged(problem.isEmpty(), problem);
}

} // namespace studio
