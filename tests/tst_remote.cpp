// Remote devices over a real OpenSSH server on 127.0.0.1: a search end to end, a pool of two,
// the agent killed mid-measurement, the server stopped mid-search, each connection failure with
// its own message, and hostile requests sent straight to `lts-search serve`.
#include "jsonio.h"
#include "remote.h"
#include "runtime.h"
#include "sshserver.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QProcessEnvironment>
#include <QRegularExpression>
#include <QtTest>

#include <set>

using namespace lts;

namespace {

QString q(const char* s)
{
    return QString::fromUtf8(s);
}

QByteArray tinyConfig(int iterations, int repeats = 3)
{
    return QStringLiteral(R"({
  "name": "tiny", "backbone": "gpt2",
  "n_layer": {"min": 1, "max": 3}, "d_model": [32, 64], "n_head": [2, 4], "d_inner": [64, 128, 192],
  "min_inner_ratio": 1.0, "div_val": 1, "d_embed": 32, "vocab_size": 500, "seq_len": 16,
  "params_min": 0, "params_max": 0,
  "search": {"iterations": %1, "parents": 2, "mutants": 4, "crossovers": 4, "seed": 5},
  "device": {"warmup": 1, "repeats": %2, "tolerance": 0}
})")
        .arg(iterations)
        .arg(repeats)
        .toUtf8();
}

void writeFile(const QString& path, const QByteArray& bytes, bool executable = false)
{
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(bytes);
    f.close();
    if (executable)
        f.setPermissions(f.permissions() | QFileDevice::ExeOwner);
}

QList<QJsonObject> readLines(const QString& path)
{
    QFile f(path);
    QList<QJsonObject> out;
    if (f.open(QIODevice::ReadOnly))
        for (const QByteArray& line : f.readAll().split('\n'))
            if (!line.isEmpty())
                out.append(QJsonDocument::fromJson(line).object());
    return out;
}

// Every architecture of a run folder recorded once (a later line for an id is its confirmation).
void checkRecordedOnce(const QString& folder, int* candidates)
{
    std::set<int> ids;
    std::set<QByteArray> archs;
    int n = 0;
    for (const QJsonObject& o : readLines(folder + q("/candidates.jsonl"))) {
        const QByteArray arch = QJsonDocument(o.value(q("arch")).toObject()).toJson(QJsonDocument::Compact);
        if (ids.insert(o.value(q("id")).toInt()).second) {
            QVERIFY2(archs.insert(arch).second, arch.constData());
            ++n;
        } else {
            QVERIFY(o.value(q("confirmed")).toBool()); // a repeat is a confirmation, nothing else
        }
    }
    *candidates = n;
}

} // namespace

class TestRemote final : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void devicesReportsTheAgent();
    void remoteSearchEndToEnd();
    void remoteGenerationInInt8();
    void poolOfTwo();
    void cacheKeyedByTheRemoteDevice();
    void agentKilledMidMeasurement();
    void serverStoppedMidSearch();
    void agentDyingOnOneArchitecture();
    void stopWhileReconnecting();
    void connectionFailures_data();
    void connectionFailures();
    void hostileRequests();
    void cancelReachesTheMeasurement();

private:
    struct Result {
        int code = -1;
        QString out, err;
    };
    // lts-search with this server's ssh configuration; `whileRunning` is called every 100 ms
    // with the stderr so far.
    Result run(const QStringList& args, const std::function<void(QProcess&, const QString&)>& whileRunning = {},
        const QString& sshConfig = q("ssh_config"));
    QString agentScript(const char* name, const QByteArray& body);

    test::SshServer m_server;
    QTemporaryDir m_tmp;
    QString m_space;
};

void TestRemote::initTestCase()
{
    QString error;
    QVERIFY2(m_server.start(&error), qPrintable(error));
    m_space = m_tmp.filePath(q("tiny.json"));
    writeFile(m_space, tinyConfig(2));
}

TestRemote::Result TestRemote::run(const QStringList& args,
    const std::function<void(QProcess&, const QString&)>& whileRunning, const QString& sshConfig)
{
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(q("LTS_SSH_COMMAND"), m_server.clientCommand(sshConfig));
    env.insert(q("LTS_CACHE_DIR"), q("off"));
    p.setProcessEnvironment(env);
    p.start(q(LTS_SEARCH_BIN), args);
    QString err;
    QElapsedTimer clock;
    clock.start();
    while (!p.waitForFinished(100) && clock.elapsed() < 240000) {
        err += QString::fromUtf8(p.readAllStandardError());
        if (whileRunning)
            whileRunning(p, err);
    }
    if (p.state() != QProcess::NotRunning) {
        p.kill();
        p.waitForFinished();
    }
    err += QString::fromUtf8(p.readAllStandardError());
    return { p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, QString::fromUtf8(p.readAllStandardOutput()),
        err };
}

// A remote program: a shell script in the test's folder.
QString TestRemote::agentScript(const char* name, const QByteArray& body)
{
    const QString path = m_tmp.filePath(q(name));
    writeFile(path, "#!/bin/sh\n" + body + "\n", true);
    return path;
}

void TestRemote::devicesReportsTheAgent()
{
    const Result r = run({ q("devices"), m_server.url(), q("--remote-program"), q(LTS_SEARCH_BIN) });
    QVERIFY2(r.code == 0, qPrintable(r.err));
    const QJsonArray all = QJsonDocument::fromJson(r.out.toUtf8()).array();
    QCOMPARE(all.size(), 1);
    const QJsonObject g = all[0].toObject();
    QCOMPARE(g.value(q("lts_agent")).toInt(), lts::kAgentProtocol);
    QCOMPARE(g.value(q("device")).toString(), m_server.url());
    const QJsonObject id = g.value(q("identity")).toObject();
    QVERIFY(!id.value(q("cpu")).toString().isEmpty());
    QVERIFY(id.value(q("cores")).toInt() >= 1);
    QVERIFY(id.value(q("torch")).toString().startsWith(q("1.")));
    QVERIFY(id.value(q("blas")).toString().contains(q("BLAS")));
    // The number formats its CPU can run: fp32 always, fp16 never (CUDA only), bf16 as the
    // device's own check says.
    QStringList precisions;
    for (const auto& p : id.value(q("cpu_precisions")).toArray())
        precisions << p.toString();
    QVERIFY2(precisions.contains(q("fp32")) && !precisions.contains(q("fp16")), qPrintable(precisions.join(q(","))));
    QCOMPARE(
        precisions.contains(q("bf16")), lts::precisionUnsupported(lts::ComputeDevice {}, lts::Precision::Bf16).empty());
}

void TestRemote::remoteSearchEndToEnd()
{
    const QString out = m_tmp.filePath(q("remote-run"));
    const Result r = run({ q("run"), q("--space"), m_space, q("--out"), out, q("--device"), m_server.url(),
        q("--remote-program"), q(LTS_SEARCH_BIN), q("--no-cache") });
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QVERIFY2(r.err.contains(q("1 device(s) in parallel")), qPrintable(r.err));
    int n = 0;
    checkRecordedOnce(out, &n);
    QVERIFY(n >= 6); // the first population and an iteration
    for (const QJsonObject& o : readLines(out + q("/candidates.jsonl"))) {
        if (o.value(q("status")).toString() == q("estimated"))
            continue; // screened out by the estimate, whose parts the agent timed
        QCOMPARE(o.value(q("status")).toString(), q("ok"));
        QVERIFY(o.value(q("latency_ms")).toDouble() > 0);
        QVERIFY(o.value(q("peak_memory_mb")).toDouble() > o.value(q("weights_mb")).toDouble());
    }
    // session.json records where it measured and what the agent said of the device.
    const QJsonObject session = readJsonFile(out + q("/session.json"));
    const QJsonObject runtime = session.value(q("runtime")).toObject();
    QCOMPARE(runtime.value(q("measured_on")).toArray().first().toString(), m_server.url());
    QVERIFY(!runtime.value(q("cpu")).toString().isEmpty());
    QCOMPARE(session.value(q("config"))
                 .toObject()
                 .value(q("device"))
                 .toObject()
                 .value(q("remote"))
                 .toArray()
                 .first()
                 .toString(),
        m_server.url());
    // eval measures one architecture there too.
    const QString arch = m_tmp.filePath(q("arch.json"));
    writeFile(arch, R"({"n_layer": 2, "d_model": 64, "n_head": 2, "d_inner": 128, "vocab_size": 500, "seq_len": 16})");
    const Result e = run({ q("eval"), arch, q("--device"), m_server.url(), q("--remote-program"), q(LTS_SEARCH_BIN) });
    QVERIFY2(e.code == 0, qPrintable(e.err));
    const QJsonObject m = QJsonDocument::fromJson(e.out.toUtf8()).object();
    QVERIFY(m.value(q("measurement")).toObject().value(q("latency_ms")).toDouble() > 0);
    QVERIFY(!m.value(q("runtime")).toObject().value(q("host")).toString().isEmpty());
}

// The protocol travels whole: the agent measures a generation, in int8, as a local search would.
void TestRemote::remoteGenerationInInt8()
{
    const QString out = m_tmp.filePath(q("remote-decode-run"));
    const Result r = run({ q("run"), q("--space"), m_space, q("--out"), out, q("--device"), m_server.url(),
        q("--remote-program"), q(LTS_SEARCH_BIN), q("--no-cache"), q("--objectives"), q("params,decode"), q("--prompt"),
        q("6"), q("--new-tokens"), q("5"), q("--precision"), q("int8") });
    QVERIFY2(r.code == 0, qPrintable(r.err));
    int n = 0;
    checkRecordedOnce(out, &n);
    QVERIFY(n >= 6);
    for (const QJsonObject& o : readLines(out + q("/candidates.jsonl"))) {
        QCOMPARE(o.value(q("status")).toString(), q("ok")); // no screening for a generation
        QVERIFY(!o.contains(q("latency_ms")));
        QVERIFY(o.value(q("decode_ms_per_token")).toDouble() > 0 && o.value(q("prefill_ms")).toDouble() > 0);
        QCOMPARE(o.value(q("decode_steps")).toInt(), 4 * o.value(q("repeats")).toInt());
        // int8 weights: below the float size of every parameter
        const double floatMb = o.value(q("total_params")).toDouble() * 4 / (1024.0 * 1024.0);
        QVERIFY2(
            o.value(q("weights_mb")).toDouble() < floatMb, qPrintable(QJsonDocument(o).toJson(QJsonDocument::Compact)));
    }
    const QJsonObject device =
        readJsonFile(out + q("/session.json")).value(q("config")).toObject().value(q("device")).toObject();
    QCOMPARE(device.value(q("workload")).toString(), q("generate"));
    QCOMPARE(device.value(q("precision")).toString(), q("int8"));
}

void TestRemote::poolOfTwo()
{
    const QString pids = m_tmp.filePath(q("pool.pids"));
    const QString agent =
        agentScript("pool-agent.sh", "echo $$ >> '" + pids.toUtf8() + "'\nexec '" + LTS_SEARCH_BIN + "' \"$@\"");
    const QString out = m_tmp.filePath(q("pool-run"));
    const Result r = run({ q("run"), q("--space"), m_space, q("--out"), out, q("--device"), m_server.url(),
        q("--device"), m_server.url(), q("--remote-program"), agent, q("--no-cache") });
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QVERIFY2(r.err.contains(q("2 device(s) in parallel")), qPrintable(r.err));
    int n = 0;
    checkRecordedOnce(out, &n);
    QVERIFY(n >= 6);
    QFile f(pids);
    QVERIFY(f.open(QIODevice::ReadOnly));
    QCOMPARE(f.readAll().trimmed().split('\n').size(), 2); // two agents, no reconnection
}

void TestRemote::cacheKeyedByTheRemoteDevice()
{
    // The per-device cache works unchanged: its file is named by the device's own fingerprint
    // (what the agent says it is), and a repeated remote search measures nothing again.
    const QString cache = m_tmp.filePath(q("cache"));
    QStringList args { q("run"), q("--space"), m_space, q("--device"), m_server.url(), q("--remote-program"),
        q(LTS_SEARCH_BIN), q("--cache-dir"), cache, q("--out") };
    const Result first = run(args + QStringList { m_tmp.filePath(q("cached-1")) });
    QVERIFY2(first.code == 0, qPrintable(first.err));
    const Result second = run(args + QStringList { m_tmp.filePath(q("cached-2")) });
    QVERIFY2(second.code == 0, qPrintable(second.err));
    std::set<int> measured; // the first run's full measurements
    for (const QJsonObject& o : readLines(m_tmp.filePath(q("cached-1/candidates.jsonl"))))
        if (o.value(q("status")).toString() == q("ok"))
            measured.insert(o.value(q("id")).toInt());
    QVERIFY(measured.size() >= 4);
    const QRegularExpressionMatch hits =
        QRegularExpression(q("(\\d+) measurements taken from the device's cache")).match(second.err);
    QVERIFY2(hits.hasMatch(), qPrintable(second.err));
    QVERIFY2(hits.captured(1).toInt() >= int(measured.size()), qPrintable(second.err));
    for (const QJsonObject& o : readLines(m_tmp.filePath(q("cached-2/candidates.jsonl"))))
        if (o.value(q("status")).toString() == q("ok"))
            QVERIFY(o.value(q("from_cache")).toBool()); // nothing measured again
    const QStringList files = QDir(cache).entryList({ q("*.jsonl") });
    QCOMPARE(files.size(), 1);
    QFile f(QDir(cache).filePath(files.first()));
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QJsonObject header = QJsonDocument::fromJson(f.readLine()).object();
    const QString fingerprint = header.value(q("fingerprint")).toString();
    QVERIFY2(fingerprint.startsWith(q("cpu ")) && fingerprint.contains(q("threads 1")), qPrintable(fingerprint));
}

void TestRemote::agentKilledMidMeasurement()
{
    // The first agent is killed while it measures: its candidate goes back to the queue, the
    // device reconnects, and every architecture is recorded once.
    const QString pids = m_tmp.filePath(q("killed.pids"));
    const QString agent =
        agentScript("killed-agent.sh", "echo $$ >> '" + pids.toUtf8() + "'\nexec '" + LTS_SEARCH_BIN + "' \"$@\"");
    QFile spaceFile(m_tmp.filePath(q("slow.json")));
    writeFile(spaceFile.fileName(), tinyConfig(2, 200)); // 200 passes: a measurement to interrupt
    const QString out = m_tmp.filePath(q("killed-run"));
    bool killed = false;
    const Result r = run({ q("run"), q("--space"), spaceFile.fileName(), q("--out"), out, q("--device"), m_server.url(),
                             q("--remote-program"), agent, q("--no-cache") },
        [&](QProcess&, const QString& err) {
            if (killed || !err.contains(q("[iter  0 |    2")))
                return;
            QFile f(pids);
            if (f.open(QIODevice::ReadOnly)) {
                const int pid = f.readAll().trimmed().split('\n').first().toInt();
                killed = pid > 0 && ::kill(pid, SIGKILL) == 0;
            }
        });
    QVERIFY(killed);
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QVERIFY2(r.err.contains(q("reconnecting")), qPrintable(r.err));
    QVERIFY2(r.err.contains(q("is back")), qPrintable(r.err));
    int n = 0;
    checkRecordedOnce(out, &n);
    QVERIFY(n >= 6);
    for (const QJsonObject& o : readLines(out + q("/candidates.jsonl")))
        QVERIFY(o.value(q("status")).toString() != q("failed")); // one drop is no reason to fail it
    QFile f(pids);
    QVERIFY(f.open(QIODevice::ReadOnly));
    QCOMPARE(f.readAll().trimmed().split('\n').size(), 2); // started again once
}

void TestRemote::serverStoppedMidSearch()
{
    // The server goes away: the device cannot reconnect, the search pauses (exit status 1) with
    // the run folder resumable; with the server back, --resume finishes it.
    const QString out = m_tmp.filePath(q("stopped-run"));
    QFile spaceFile(m_tmp.filePath(q("slow2.json")));
    writeFile(spaceFile.fileName(), tinyConfig(2, 100));
    bool stopped = false;
    const Result r = run({ q("run"), q("--space"), spaceFile.fileName(), q("--out"), out, q("--device"), m_server.url(),
                             q("--remote-program"), q(LTS_SEARCH_BIN), q("--no-cache") },
        [&](QProcess&, const QString& err) {
            if (!stopped && err.contains(q("[iter  0 |    3"))) {
                m_server.stop();
                stopped = true;
            }
        });
    QString error;
    const bool back = m_server.start(&error); // before anything can fail: the next tests need it
    QVERIFY(stopped);
    QVERIFY2(back, qPrintable(error));
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains(q("paused: every measuring device was lost")), qPrintable(r.err));
    int before = 0;
    checkRecordedOnce(out, &before);
    QVERIFY(before >= 3);
    const Result resumed = run({ q("run"), q("--resume"), out, q("--device"), m_server.url() });
    QVERIFY2(resumed.code == 0, qPrintable(resumed.err));
    int after = 0;
    checkRecordedOnce(out, &after);
    QVERIFY(after > before);
}

void TestRemote::agentDyingOnOneArchitecture()
{
    // An agent killed by the board whenever it measures a 3-layer model (its memory ran out, as
    // the kernel's OOM killer would have it): those are recorded failed after the second try, the
    // rest measured, the search finishes.
    const QString agent = agentScript("oom-agent.sh",
        "while IFS= read -r line; do\n"
        "  case \"$line\" in *'\"n_layer\":3'*'\"op\":\"measure\"'*) kill -9 0 ;; esac\n"
        "  printf '%s\\n' \"$line\"\n"
        "done | '"
            + QByteArray(LTS_SEARCH_BIN) + "' \"$@\"");
    const QString out = m_tmp.filePath(q("oom-run"));
    const QString space = m_tmp.filePath(q("one-population.json"));
    writeFile(space, tinyConfig(1));
    const Result r = run({ q("run"), q("--space"), space, q("--out"), out, q("--device"), m_server.url(),
        q("--remote-program"), agent, q("--no-cache"), q("--no-screening") });
    QVERIFY2(r.code == 0, qPrintable(r.err));
    int failed = 0, ok = 0;
    for (const QJsonObject& o : readLines(out + q("/candidates.jsonl"))) {
        const bool deep = o.value(q("arch")).toObject().value(q("n_layer")).toInt() == 3;
        QCOMPARE(o.value(q("status")).toString(), deep ? q("failed") : q("ok"));
        if (deep)
            QVERIFY2(
                o.value(q("error")).toString().contains(q("ended twice")), qPrintable(o.value(q("error")).toString()));
        failed += deep;
        ok += !deep;
    }
    QVERIFY(failed >= 1);
    QVERIFY(ok >= 3);
}

void TestRemote::stopWhileReconnecting()
{
    // Stop (SIGINT) while the only device waits to reconnect: the search ends at once, cancelled,
    // instead of sitting out the back-off.
    const QString out = m_tmp.filePath(q("stop-reconnecting"));
    QFile spaceFile(m_tmp.filePath(q("slow3.json")));
    writeFile(spaceFile.fileName(), tinyConfig(2, 100));
    bool stopped = false, interrupted = false;
    QElapsedTimer sinceInterrupt;
    const Result r = run({ q("run"), q("--space"), spaceFile.fileName(), q("--out"), out, q("--device"), m_server.url(),
                             q("--remote-program"), q(LTS_SEARCH_BIN), q("--no-cache") },
        [&](QProcess& p, const QString& err) {
            if (!stopped && err.contains(q("[iter  0 |    2"))) {
                m_server.stop();
                stopped = true;
            }
            if (stopped && !interrupted && err.contains(q("reconnecting"))) {
                ::kill(pid_t(p.processId()), SIGINT);
                interrupted = true;
                sinceInterrupt.start();
            }
        });
    const qint64 took = sinceInterrupt.isValid() ? sinceInterrupt.elapsed() : -1;
    QString error;
    const bool back = m_server.start(&error);
    QVERIFY(interrupted);
    QVERIFY2(back, qPrintable(error));
    QCOMPARE(r.code, 0);
    QVERIFY2(r.err.contains(q("search cancelled")), qPrintable(r.err));
    QVERIFY2(took >= 0 && took < 3000, qPrintable(QString::number(took)));
}

void TestRemote::connectionFailures_data()
{
    QTest::addColumn<QString>("program");
    QTest::addColumn<QString>("sshConfig");
    QTest::addColumn<QString>("said");
    QTest::newRow("wrong version") << agentScript(
        "old-agent.sh", R"(echo '{"lts_agent": 99, "program": "lts-search", "version": "9.0"}'; cat > /dev/null)")
                                   << q("ssh_config") << q("version mismatch");
    QTest::newRow("missing program") << m_tmp.filePath(q("no-such-lts-search")) << q("ssh_config")
                                     << q("remote program was not found");
    QTest::newRow("not an agent") << agentScript("chatty.sh", "echo hello; cat > /dev/null") << q("ssh_config")
                                  << q("did not answer as an lts-search agent");
    QTest::newRow("unknown host key") << q(LTS_SEARCH_BIN) << m_server.strangerConfig() << q("host key is unknown");
    QTest::newRow("authentication") << q(LTS_SEARCH_BIN) << m_server.unauthorisedConfig() << q("authentication failed");
}

void TestRemote::connectionFailures()
{
    QFETCH(QString, program);
    QFETCH(QString, sshConfig);
    QFETCH(QString, said);
    const QString out = m_tmp.filePath(q("failed-") + QString::fromUtf8(QTest::currentDataTag()).replace(' ', '-'));
    const Result r = run({ q("run"), q("--space"), m_space, q("--out"), out, q("--device"), m_server.url(),
                             q("--remote-program"), program, q("--no-cache") },
        {}, sshConfig);
    QCOMPARE(r.code, 2);
    QVERIFY2(r.err.contains(said), qPrintable(r.err));
    QVERIFY2(r.err.contains(m_server.url()), qPrintable(r.err)); // names the device
    QVERIFY(!QFile::exists(out + q("/candidates.jsonl"))); // nothing half-written
    // `devices` says the same.
    const Result d = run({ q("devices"), m_server.url(), q("--remote-program"), program }, {}, sshConfig);
    QCOMPARE(d.code, 2);
    QVERIFY2(d.err.contains(said), qPrintable(d.err));
}

namespace {

// `lts-search serve` on pipes: lines in, answers out.
class Agent {
public:
    Agent()
    {
        m_p.start(q(LTS_SEARCH_BIN), { q("serve") });
        m_p.waitForStarted();
    }
    ~Agent()
    {
        m_p.closeWriteChannel();
        if (!m_p.waitForFinished(10000))
            m_p.kill();
    }
    // One line, whatever the test's layout of the JSON.
    void send(QByteArray line) { m_p.write(line.replace('\n', ' ') + "\n"); }
    QJsonObject next(int timeoutMs = 30000)
    {
        QElapsedTimer clock;
        clock.start();
        while (!m_p.canReadLine() && clock.elapsed() < timeoutMs)
            m_p.waitForReadyRead(100);
        return QJsonDocument::fromJson(m_p.readLine()).object();
    }
    bool running() const { return m_p.state() == QProcess::Running; }

private:
    QProcess m_p;
};

QString errorField(const QJsonObject& answer)
{
    return answer.value(q("error")).toObject().value(q("field")).toString();
}

} // namespace

void TestRemote::hostileRequests()
{
    Agent agent;
    const QJsonObject greeting = agent.next();
    QCOMPARE(greeting.value(q("lts_agent")).toInt(), lts::kAgentProtocol);
    agent.send("{not json");
    QCOMPARE(errorField(agent.next()), q("line"));
    agent.send(QByteArray(2 << 20, 'x')); // a 2 MiB line
    const QJsonObject huge = agent.next();
    QCOMPARE(errorField(huge), q("line"));
    QVERIFY(huge.value(q("error")).toObject().value(q("message")).toString().contains(q("longer than")));
    agent.send(R"({"id": 1, "op": "shell", "command": "touch /tmp/lts-pwned"})");
    QCOMPARE(errorField(agent.next()), q("op"));
    QVERIFY(!QFile::exists(q("/tmp/lts-pwned")));
    agent.send(R"({"op": "measure"})");
    QCOMPARE(errorField(agent.next()), q("id"));
    agent.send(R"({"id": 2, "op": "measure", "protocol": {"device": "cpu"},
        "arch": {"n_layer": 1000000, "d_model": 64, "n_head": 2, "d_inner": 64, "vocab_size": 500, "seq_len": 16}})");
    QCOMPARE(errorField(agent.next()), q("n_layer"));
    agent.send(R"({"id": 3, "op": "measure", "protocol": {"device": "cpu", "threads": 100000},
        "arch": {"n_layer": 1, "d_model": 64, "n_head": 2, "d_inner": 64, "vocab_size": 500, "seq_len": 16}})");
    QCOMPARE(errorField(agent.next()), q("device.threads"));
    agent.send(R"({"id": 4, "op": "measure", "protocol": {"device": "cuda:7"},
        "arch": {"n_layer": 1, "d_model": 64, "n_head": 2, "d_inner": 64, "vocab_size": 500, "seq_len": 16}})");
    QCOMPARE(errorField(agent.next()), q("device"));
    agent.send(R"({"id": 5, "op": "time_part", "protocol": {"device": "cpu"}, "part": "attention", "width": 0,
        "tokens": 16, "arch": {"n_layer": 1, "d_model": 64, "n_head": 1, "d_inner": 1, "vocab_size": 500, "seq_len": 16}})");
    QCOMPARE(errorField(agent.next()), q("width"));
    // Still serving: a good request is measured.
    agent.send(R"({"id": 6, "op": "measure", "protocol": {"device": "cpu", "repeats": 3},
        "arch": {"n_layer": 1, "d_model": 64, "n_head": 2, "d_inner": 64, "vocab_size": 500, "seq_len": 16}})");
    const QJsonObject ok = agent.next();
    QCOMPARE(ok.value(q("id")).toInt(), 6);
    QCOMPARE(ok.value(q("result")).toObject().value(q("status")).toString(), q("ok"));
    QVERIFY(ok.value(q("result")).toObject().value(q("latency_ms")).toDouble() > 0);
    QVERIFY(agent.running());
}

void TestRemote::cancelReachesTheMeasurement()
{
    Agent agent;
    agent.next();
    // 10000 passes of a 4-layer model would take minutes; the cancellation ends it within a pass.
    agent.send(R"({"id": 1, "op": "measure", "protocol": {"device": "cpu", "repeats": 10000, "tolerance": 0},
        "arch": {"n_layer": 4, "d_model": 256, "n_head": 4, "d_inner": 1024, "vocab_size": 500, "seq_len": 128}})");
    QTest::qWait(1500);
    QElapsedTimer clock;
    clock.start();
    agent.send(R"({"op": "cancel", "id": 1})");
    const QJsonObject a = agent.next();
    QCOMPARE(a.value(q("id")).toInt(), 1);
    QVERIFY2(a.value(q("cancelled")).toBool(), QJsonDocument(a).toJson().constData());
    QVERIFY2(clock.elapsed() < 5000, qPrintable(QString::number(clock.elapsed())));
}

QTEST_GUILESS_MAIN(TestRemote)
#include "tst_remote.moc"
