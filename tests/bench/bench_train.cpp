// Benchmark: training throughput of the proxy audit's trainer (core/trainer.cpp) on one
// architecture, for a side-by-side comparison with PyTorch eager (tests/bench/train_eager.py,
// run by tests/bench/train.sh). Trains ARCH.json byte-level on TEXT for TOKENS tokens and prints
// one JSON line: parameters, steps, training seconds and tokens per second.
//
//   build/tests/bench/bench_train ARCH.json TEXT [TOKENS] [THREADS] [BATCH] [CONTEXT]
//   (defaults: 65536 tokens, 1 thread, batch 8, the architecture's seq_len)
#include "corpus.h"
#include "errors.h"
#include "jsonio.h"
#include "trainer.h"

#include <QCoreApplication>
#include <QJsonDocument>
#include <QJsonObject>

#include <atomic>
#include <cstdio>
#include <cstdlib>

using namespace lts;

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    if (argc < 3) {
        std::fprintf(stderr, "usage: bench_train ARCH.json TEXT [TOKENS] [THREADS] [BATCH] [CONTEXT]\n");
        return 2;
    }
    try {
        const ArchConfig arch = archFromJson(readJsonFile(QString::fromLocal8Bit(argv[1])));
        TrainConfig config;
        config.tokens = argc > 3 ? std::atoll(argv[3]) : 65536;
        config.threads = argc > 4 ? std::atoi(argv[4]) : 1;
        config.batch = argc > 5 ? std::atoi(argv[5]) : 8;
        config.context = argc > 6 ? std::atoi(argv[6]) : 0;
        config.validate();
        const Corpus corpus = loadCorpus(argv[2]);
        std::atomic<bool> cancel { false };
        const TrainResult r = trainAndEvaluate(arch, corpus, config, {}, cancel);
        if (r.status != TrainResult::Status::Ok) {
            std::fprintf(stderr, "bench_train: %s\n", r.error.c_str());
            return 1;
        }
        QJsonObject o;
        o[QStringLiteral("impl")] = QStringLiteral("lts-studio");
        o[QStringLiteral("decoder_params")] = double(r.decoderParams);
        o[QStringLiteral("total_params")] = double(r.totalParams);
        o[QStringLiteral("steps")] = r.steps;
        o[QStringLiteral("tokens")] = double(r.tokensTrained);
        o[QStringLiteral("train_s")] = r.trainSeconds;
        o[QStringLiteral("tokens_per_s")] = r.tokensPerS;
        o[QStringLiteral("final_train_loss")] = r.trainLoss;
        std::printf("%s\n", QJsonDocument(o).toJson(QJsonDocument::Compact).constData());
    } catch (const InputError& e) {
        std::fprintf(stderr, "bench_train: %s\n", e.what());
        return 2;
    }
    return 0;
}
