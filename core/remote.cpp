#include "remote.h"

#include "errors.h"
#include "jsonio.h"
#include "runtime.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QSysInfo>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

extern char** environ;

namespace lts {

namespace {

    QString q(const char* s)
    {
        return QString::fromUtf8(s);
    }

    QString qs(const std::string& s)
    {
        return QString::fromStdString(s);
    }

    std::string compact(const QJsonObject& o)
    {
        return QJsonDocument(o).toJson(QJsonDocument::Compact).toStdString();
    }

    // A single-quoted word for a POSIX shell.
    std::string shellQuote(const std::string& s)
    {
        std::string out = "'";
        for (char c : s)
            out += c == '\'' ? std::string("'\\''") : std::string(1, c);
        return out + "'";
    }

    // The last non-empty line of `text`, for messages.
    std::string lastLine(const std::string& text)
    {
        std::size_t end = text.find_last_not_of("\r\n ");
        if (end == std::string::npos)
            return {};
        const std::size_t start = text.rfind('\n', end);
        return text.substr(
            start == std::string::npos ? 0 : start + 1, end - (start == std::string::npos ? 0 : start + 1) + 1);
    }

    void ignoreSigpipe()
    {
        static std::once_flag once;
        // A write to an agent that died must fail with EPIPE, not kill this process.
        std::call_once(once, [] { std::signal(SIGPIPE, SIG_IGN); });
    }

    // A child process with pipes on its stdin, stdout and stderr; usable from any thread.
    class Child final {
    public:
        Child() = default;
        Child(const Child&) = delete;
        Child& operator=(const Child&) = delete;
        ~Child() { stop(); }

        // Stops it and forgets what it said, ready to start again.
        void reset()
        {
            stop();
            m_buffer.clear();
            m_stderr.clear();
            m_exit = -1;
        }

        bool start(const std::vector<std::string>& argv, std::string& error)
        {
            ignoreSigpipe();
            int in[2], out[2], err[2];
            if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) {
                error = std::string("cannot create pipes: ") + std::strerror(errno);
                return false;
            }
            posix_spawn_file_actions_t actions;
            posix_spawn_file_actions_init(&actions);
            posix_spawn_file_actions_adddup2(&actions, in[0], 0);
            posix_spawn_file_actions_adddup2(&actions, out[1], 1);
            posix_spawn_file_actions_adddup2(&actions, err[1], 2);
            std::vector<char*> args;
            for (const auto& a : argv)
                args.push_back(const_cast<char*>(a.c_str()));
            args.push_back(nullptr);
            const int rc = posix_spawn(&m_pid, "/bin/sh", &actions, nullptr, args.data(), environ);
            posix_spawn_file_actions_destroy(&actions);
            ::close(in[0]);
            ::close(out[1]);
            ::close(err[1]);
            m_in = in[1];
            m_out = out[0];
            m_err = err[0];
            if (rc != 0) {
                error = std::string("cannot start /bin/sh: ") + std::strerror(rc);
                m_pid = -1;
                stop();
                return false;
            }
            return true;
        }

        bool writeLine(const std::string& line)
        {
            const std::string data = line + "\n";
            std::size_t done = 0;
            while (done < data.size()) {
                const ssize_t n = ::write(m_in, data.data() + done, data.size() - done);
                if (n < 0 && errno == EINTR)
                    continue;
                if (n <= 0)
                    return false;
                done += std::size_t(n);
            }
            return true;
        }

        enum class Read { Line, Timeout, Closed, TooLong };
        // Waits up to `timeoutMs` for a whole line on stdout; stderr is collected meanwhile.
        Read readLine(std::string& line, int timeoutMs)
        {
            const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
            for (;;) {
                if (const std::size_t nl = m_buffer.find('\n'); nl != std::string::npos) {
                    line = m_buffer.substr(0, nl);
                    m_buffer.erase(0, nl + 1);
                    return Read::Line;
                }
                if (m_buffer.size() > std::size_t(kMaxAgentLineBytes))
                    return Read::TooLong;
                if (m_out < 0)
                    return Read::Closed;
                const int left = int(
                    std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now())
                        .count());
                if (left <= 0)
                    return Read::Timeout;
                pollfd fds[2] = { { m_out, POLLIN, 0 }, { m_err, POLLIN, 0 } };
                const int n = ::poll(fds, m_err >= 0 ? 2 : 1, left);
                if (n < 0 && errno != EINTR)
                    return Read::Closed;
                if (m_err >= 0 && (fds[1].revents & (POLLIN | POLLHUP)))
                    drain(m_err, m_stderr, 64 << 10);
                if (fds[0].revents & (POLLIN | POLLHUP | POLLERR))
                    if (!drain(m_out, m_buffer, std::size_t(kMaxAgentLineBytes) + 2)) {
                        ::close(m_out);
                        m_out = -1;
                    }
            }
        }

        // Stops the child (if still running) and returns how it ended: its exit status, or -1.
        int stop()
        {
            for (int* fd : { &m_in, &m_out })
                if (*fd >= 0) {
                    ::close(*fd);
                    *fd = -1;
                }
            if (m_pid > 0) {
                int status = 0;
                // Give it a moment to end on its own (its stdin closed), then kill it.
                for (int i = 0; i < 20 && ::waitpid(m_pid, &status, WNOHANG) == 0; ++i)
                    std::this_thread::sleep_for(std::chrono::milliseconds(10));
                if (::waitpid(m_pid, &status, WNOHANG) == 0) {
                    ::kill(m_pid, SIGKILL);
                    ::waitpid(m_pid, &status, 0);
                }
                m_pid = -1;
                m_exit = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
            }
            if (m_err >= 0) {
                drain(m_err, m_stderr, 64 << 10);
                ::close(m_err);
                m_err = -1;
            }
            return m_exit;
        }

        const std::string& stderrText() const { return m_stderr; }

    private:
        // Reads what is available; false at end of file.
        static bool drain(int fd, std::string& into, std::size_t limit)
        {
            char buf[65536];
            const ssize_t n = ::read(fd, buf, sizeof buf);
            if (n < 0)
                return errno == EINTR || errno == EAGAIN;
            if (n == 0)
                return false;
            into.append(buf, std::size_t(n));
            if (into.size() > limit)
                into.erase(0, into.size() - limit);
            return true;
        }

        pid_t m_pid = -1;
        int m_in = -1, m_out = -1, m_err = -1;
        int m_exit = -1;
        std::string m_buffer, m_stderr;
    };

    const char* partName(LatencyPart p)
    {
        return p == LatencyPart::Head ? "head" : p == LatencyPart::Attention ? "attention" : "feed_forward";
    }

} // namespace

std::string DeviceSpec::url() const
{
    std::string s = "ssh://";
    if (!user.empty())
        s += user + "@";
    s += host;
    if (port > 0)
        s += ":" + std::to_string(port);
    return s + "/" + device;
}

bool isRemoteDevice(const std::string& device)
{
    return device.rfind("ssh://", 0) == 0;
}

DeviceSpec DeviceSpec::parse(const std::string& url, const std::string& field)
{
    const std::string rule = "must read ssh://[user@]host[:port]/cpu or /cuda[:N], got \"" + url + "\"";
    if (!isRemoteDevice(url))
        throw InputError(field, rule);
    std::string rest = url.substr(6);
    DeviceSpec d;
    const std::size_t slash = rest.find('/');
    if (slash != std::string::npos) {
        d.device = rest.substr(slash + 1);
        rest = rest.substr(0, slash);
    }
    if (const std::size_t at = rest.rfind('@'); at != std::string::npos) {
        d.user = rest.substr(0, at);
        rest = rest.substr(at + 1);
    }
    if (const std::size_t colon = rest.rfind(':'); colon != std::string::npos && rest.find(']') == std::string::npos) {
        bool ok = false;
        d.port = QString::fromStdString(rest.substr(colon + 1)).toInt(&ok);
        if (!ok || d.port < 1 || d.port > 65535)
            throw InputError(field, "the port must be between 1 and 65535, got \"" + rest.substr(colon + 1) + "\"");
        rest = rest.substr(0, colon);
    }
    d.host = rest;
    // ssh would read a leading '-' as an option; user names and hosts are plain words.
    auto plain = [](const std::string& s) {
        for (char c : s)
            if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_' || c == '['
                    || c == ']' || c == ':'))
                return false;
        return s.empty() || s.front() != '-';
    };
    if (d.host.empty() || !plain(d.host))
        throw InputError(field, "needs a host name of letters, digits, '.', '-' and '_': " + rule);
    if (!plain(d.user))
        throw InputError(field, "the user name must be letters, digits, '.', '-' and '_', got \"" + d.user + "\"");
    if (d.device.empty())
        d.device = "cpu";
    MeasureProtocol p;
    p.device = d.device;
    try {
        p.validate();
    } catch (const InputError& e) {
        throw InputError(field, "the device after the host " + e.rule());
    }
    return d;
}

std::string deviceStateName(DeviceState s)
{
    switch (s) {
    case DeviceState::Idle:
        return "idle";
    case DeviceState::Measuring:
        return "measuring";
    case DeviceState::Reconnecting:
        return "reconnecting";
    case DeviceState::Lost:
        return "lost";
    }
    return "idle";
}

QJsonObject agentIdentity()
{
    const RuntimeInfo rt = runtimeInfo();
    QJsonArray devices;
    for (const auto& d : rt.devices)
        devices.append(QJsonObject { { q("id"), qs(d.id) }, { q("name"), qs(d.name) }, { q("cores"), d.cores },
            { q("memory_mb"), d.memoryMb } });
    // Variables that change how the BLAS runs (its kernels, its blocking, its threads): the agent
    // starts with the board's login environment, which may not be the one of an interactive shell.
    QJsonObject environment;
    for (char** e = environ; *e; ++e) {
        const std::string entry = *e;
        const std::size_t eq = entry.find('=');
        if (eq != std::string::npos && (entry.rfind("OPENBLAS_", 0) == 0 || entry.rfind("OMP_", 0) == 0))
            environment.insert(qs(entry.substr(0, eq)), qs(entry.substr(eq + 1)));
    }
    QJsonArray precisions; // what the CPU can run models in
    for (Precision p : { Precision::Fp32, Precision::Bf16, Precision::Fp16, Precision::Int8 })
        if (precisionUnsupported(ComputeDevice {}, p).empty())
            precisions.append(qs(precisionName(p)));
    return { { q("host"), QSysInfo::machineHostName() }, { q("cpu"), qs(rt.devices.front().name) },
        { q("cpu_precisions"), precisions }, { q("blas_environment"), environment },
        { q("cores"), rt.devices.front().cores }, { q("blas"), qs(rt.blas) }, { q("blas_note"), qs(blasKernelNote()) },
        { q("torch"), qs(rt.torchVersion) }, { q("qt"), qs(rt.qtVersion) }, { q("cuda"), rt.cudaAvailable },
        { q("devices"), devices } };
}

// One connection to one agent.
struct RemoteMeasurer::Device {
    DeviceSpec spec;
    RemoteOptions options;
    Child child;
    QJsonObject greeting;
    long long nextId = 1;
    DeviceStatus status;
    bool connected = false;

    std::string where() const { return spec.url(); }

    std::vector<std::string> command() const
    {
        std::string ssh = options.sshCommand;
        if (ssh.empty()) {
            const char* env = std::getenv("LTS_SSH_COMMAND");
            ssh = env && *env ? env : "ssh";
        }
        std::vector<std::string> argv { "sh", "-c", "exec " + ssh + " \"$@\"", "sh", "-o", "BatchMode=yes", "-o",
            "ServerAliveInterval=5", "-o", "ServerAliveCountMax=3" };
        if (spec.port > 0) {
            argv.push_back("-p");
            argv.push_back(std::to_string(spec.port));
        }
        if (!spec.user.empty()) {
            argv.push_back("-l");
            argv.push_back(spec.user);
        }
        argv.push_back("--");
        argv.push_back(spec.host);
        argv.push_back(shellQuote(options.remoteProgram) + " serve");
        return argv;
    }

    // Starts ssh and waits for the greeting; throws InputError("device", ...) naming the cause.
    void connect()
    {
        child.reset();
        connected = false;
        std::string error;
        if (!child.start(command(), error))
            throw InputError("device", where() + ": " + error);
        std::string line;
        const Child::Read r = child.readLine(line, int(options.connectTimeoutS * 1000));
        if (r == Child::Read::Timeout) {
            child.stop();
            throw InputError("device",
                where() + ": no greeting from the agent within " + std::to_string(int(options.connectTimeoutS))
                    + " s (is the host reachable?)");
        }
        if (r != Child::Read::Line) {
            const int exit = child.stop();
            throw InputError("device", where() + ": " + explainExit(exit, child.stderrText()));
        }
        QJsonObject g;
        try {
            g = parseJsonObject(QByteArray::fromStdString(line), "greeting");
        } catch (const InputError&) {
            child.stop();
            throw InputError("device",
                where() + ": " + options.remoteProgram
                    + " did not answer as an lts-search agent (is --remote-program right?); it said \""
                    + line.substr(0, 120) + "\"");
        }
        if (g.value(q("lts_agent")).toInt(-1) != kAgentProtocol) {
            child.stop();
            throw InputError("device",
                where() + ": version mismatch: the agent (" + g.value(q("program")).toString().toStdString() + " "
                    + g.value(q("version")).toString().toStdString() + ") speaks agent protocol "
                    + std::to_string(g.value(q("lts_agent")).toInt(-1)) + ", this program (" + LTS_VERSION + ") speaks "
                    + std::to_string(kAgentProtocol) + "; install the same LTS Studio version on both machines");
        }
        greeting = g;
        connected = true;
    }

    static std::string explainExit(int exit, const std::string& err)
    {
        const std::string said = lastLine(err);
        auto has = [&](const char* s) { return err.find(s) != std::string::npos; };
        if (has("Host key verification failed") || has("REMOTE HOST IDENTIFICATION HAS CHANGED"))
            return "the host key is unknown or has changed, and ssh refused it (" + said
                + "); connect once with ssh to check and accept the key";
        if (has("Permission denied") || has("Too many authentication failures"))
            return "authentication failed (" + said
                + "); LTS Studio uses your ssh keys and agent and asks for no password: add your public key to "
                  "the board's ~/.ssh/authorized_keys";
        if (exit == 127 || has("command not found") || has("No such file or directory") || has("not found"))
            return "the remote program was not found there (" + said
                + "); install LTS Studio on the device or give its path with --remote-program";
        if (exit == 255)
            return "ssh could not connect (" + (said.empty() ? std::string("no message") : said) + ")";
        return "the agent ended before greeting (exit status " + std::to_string(exit) + ")"
            + (said.empty() ? "" : ": " + said);
    }

    enum class Outcome { Answer, Dropped };
    // Sends a request and waits for its answer; a cancellation is passed on to the agent, which
    // answers {"cancelled": true}. Dropped when the connection ends first.
    Outcome call(QJsonObject request, const std::atomic<bool>& cancel, QJsonObject& answer, std::string& why)
    {
        const long long id = nextId++;
        request.insert(q("id"), double(id));
        if (!connected || !child.writeLine(compact(request))) {
            why = "the connection was closed";
            return drop(why);
        }
        bool cancelSent = false;
        for (;;) {
            if (cancel.load() && !cancelSent) {
                cancelSent = true;
                child.writeLine(compact(QJsonObject { { q("op"), q("cancel") }, { q("id"), double(id) } }));
            }
            std::string line;
            const Child::Read r = child.readLine(line, 100);
            if (r == Child::Read::Timeout)
                continue;
            if (r != Child::Read::Line) {
                why = r == Child::Read::TooLong ? "the agent sent a line longer than the protocol allows"
                                                : "the connection dropped";
                return drop(why);
            }
            try {
                const QJsonObject o = parseJsonObject(QByteArray::fromStdString(line), "answer");
                if (o.value(q("id")).toDouble(-1) != double(id))
                    continue; // an answer to a request given up on
                answer = o;
                return Outcome::Answer;
            } catch (const InputError&) {
                why = "the agent sent something that is not JSON";
                return drop(why);
            }
        }
    }

    Outcome drop(std::string& why)
    {
        const int exit = child.stop();
        connected = false;
        const std::string said = lastLine(child.stderrText());
        if (exit >= 0)
            why += " (exit status " + std::to_string(exit) + ")";
        if (!said.empty())
            why += ": " + said;
        return Outcome::Dropped;
    }

    // Reconnects with back-off; false when every try failed (`why` says the last failure) or the
    // search was cancelled.
    bool reconnect(const std::atomic<bool>& cancel, std::string& why)
    {
        double wait = options.firstBackoffS;
        for (int t = 0; t < options.reconnectTries; ++t) {
            for (double slept = 0; slept < wait; slept += 0.05) {
                if (cancel.load())
                    return false;
                std::this_thread::sleep_for(std::chrono::milliseconds(50));
            }
            wait *= 2;
            try {
                connect();
                return true;
            } catch (const InputError& e) {
                why = e.rule();
                if (why.rfind(where() + ": ", 0) == 0)
                    why.erase(0, where().size() + 2); // said once, by the caller
            }
        }
        return false;
    }
};

QJsonObject probeDevice(const DeviceSpec& spec, const RemoteOptions& options)
{
    RemoteMeasurer::Device d;
    d.spec = spec;
    d.options = options;
    d.connect();
    return d.greeting;
}

RemoteMeasurer::RemoteMeasurer(std::vector<DeviceSpec> devices, MeasureProtocol protocol, RemoteOptions options)
    : m_protocol(std::move(protocol))
    , m_options(std::move(options))
{
    if (devices.empty())
        throw InputError("device", "no remote device given");
    for (const auto& s : devices)
        if (s.device != devices.front().device)
            throw InputError("device",
                "the devices of a pool must be of one kind: " + s.url() + " measures on " + s.device + ", "
                    + devices.front().url() + " on " + devices.front().device);
    m_protocol.device = devices.front().device;
    m_protocol.validate();
    // Every device connects at once (ssh and the agent's start take seconds each), then they are
    // checked in the order given.
    struct Connected {
        std::unique_ptr<Device> device;
        std::string fingerprint, error;
    };
    std::vector<Connected> connected(devices.size());
    std::vector<std::thread> connecting;
    for (std::size_t i = 0; i < devices.size(); ++i)
        connecting.emplace_back([&, i] {
            Connected& c = connected[i];
            c.device = std::make_unique<Device>();
            Device& d = *c.device;
            d.spec = devices[i];
            d.options = m_options;
            d.status.url = devices[i].url();
            try {
                d.connect();
            } catch (const InputError& e) {
                c.error = e.rule();
                return;
            }
            QJsonObject answer;
            std::string why;
            const std::atomic<bool> never { false };
            if (d.call({ { q("op"), q("fingerprint") }, { q("protocol"), protocolToJson(m_protocol) } }, never, answer,
                    why)
                != Device::Outcome::Answer)
                c.error = d.where() + ": " + why;
            else if (answer.contains(q("error")))
                c.error =
                    d.where() + ": " + answer.value(q("error")).toObject().value(q("message")).toString().toStdString();
            else
                c.fingerprint = answer.value(q("result")).toObject().value(q("fingerprint")).toString().toStdString();
        });
    for (auto& t : connecting)
        t.join();
    for (Connected& c : connected) {
        if (!c.error.empty())
            throw InputError("device", c.error);
        const std::string& fp = c.fingerprint;
        const QJsonObject identity = c.device->greeting.value(q("identity")).toObject();
        if (m_devices.empty()) {
            m_fingerprint = fp;
            m_identity = identity;
        } else if (fp != m_fingerprint) {
            std::string differs;
            for (const char* key : { "cpu", "cores", "blas", "torch" })
                if (identity.value(q(key)) != m_identity.value(q(key)))
                    differs += std::string(differs.empty() ? "" : ", ") + key;
            throw InputError("device",
                "a pool needs devices alike, and " + c.device->where() + " differs from " + m_devices.front()->where()
                    + " in "
                    + (differs.empty() ? "how it measures (" + fp + " against " + m_fingerprint + ")" : differs)
                    + "; search on each kind separately");
        }
        m_devices.push_back(std::move(c.device));
    }
    m_live = int(m_devices.size());
    for (auto& d : m_devices)
        m_workers.emplace_back([this, dev = d.get()] { work(*dev); });
}

// One request for whichever device of the pool is free: a measurement, a confirmation or a part
// to time. Guarded by the pool's mutex, except `cancel`.
struct RemoteMeasurer::Job {
    QJsonObject request;
    std::string key;
    std::atomic<bool> cancel { false }; // given up on, or the search cancelled: the agent is told
    bool done = false;
    bool answered = false; // `answer` holds the agent's answer
    QJsonObject answer;
    int drops = 0; // connections that ended while a device worked on it
    std::string failure; // set when it is failed after the second drop
};

RemoteMeasurer::~RemoteMeasurer()
{
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_shutdown.store(true);
        for (auto& [key, job] : m_jobs)
            job->cancel.store(true);
        m_wake.notify_all();
    }
    for (auto& t : m_workers)
        t.join();
}

int RemoteMeasurer::parallelism() const
{
    return int(m_devices.size());
}

std::vector<DeviceStatus> RemoteMeasurer::statuses() const
{
    std::lock_guard<std::mutex> lock(m_mutex);
    std::vector<DeviceStatus> out;
    for (const auto& d : m_devices)
        out.push_back(d->status);
    return out;
}

void RemoteMeasurer::setState(Device& d, DeviceState state, const std::string& detail)
{
    d.status.state = state;
    d.status.detail = detail;
    m_changed = true;
    m_wake.notify_all();
}

// A device's thread: takes the next job of the queue, asks its agent, and on a drop puts the job
// back at the front of the queue and reconnects with back-off, or gives up the device as lost.
void RemoteMeasurer::work(Device& d)
{
    std::unique_lock<std::mutex> lock(m_mutex);
    for (;;) {
        m_wake.wait(lock, [&] { return m_shutdown.load() || !m_queue.empty(); });
        if (m_shutdown.load())
            return;
        const std::shared_ptr<Job> job = m_queue.front();
        m_queue.pop_front();
        if (job->cancel.load()) { // given up on before a device took it
            job->done = true;
            m_wake.notify_all();
            continue;
        }
        setState(d, DeviceState::Measuring, {});
        lock.unlock();
        QJsonObject answer;
        std::string why;
        const Device::Outcome outcome = d.call(job->request, job->cancel, answer, why);
        lock.lock();
        if (outcome == Device::Outcome::Answer) {
            job->answer = answer;
            job->answered = job->done = true;
            setState(d, DeviceState::Idle, {});
            continue;
        }
        m_lastDrop = d.where() + ": " + why;
        if (job->cancel.load()) {
            job->done = true;
        } else if (++job->drops >= 2) {
            // Agents that die on the same architecture twice ran out of memory on it, most likely.
            job->failure = "the device's agent ended twice while measuring it (out of memory on the device, most "
                           "likely): "
                + why;
            job->done = true;
        } else {
            m_queue.push_front(job);
        }
        setState(d, DeviceState::Reconnecting, why);
        lock.unlock();
        std::string failure = why;
        const bool back = d.reconnect(m_shutdown, failure);
        lock.lock();
        if (!back) {
            if (!m_shutdown.load())
                m_lastDrop = d.where() + ": " + failure;
            --m_live;
            setState(d, DeviceState::Lost, failure);
            return;
        }
        setState(d, DeviceState::Idle, {});
    }
}

std::shared_ptr<RemoteMeasurer::Job> RemoteMeasurer::submit(
    const std::string& key, const std::function<QJsonObject()>& request, bool first)
{
    std::lock_guard<std::mutex> lock(m_mutex);
    if (const auto it = m_jobs.find(key); it != m_jobs.end()) {
        if (first) { // needed now: ahead of what was started for later
            const auto q = std::find(m_queue.begin(), m_queue.end(), it->second);
            if (q != m_queue.end()) {
                m_queue.erase(q);
                m_queue.push_front(it->second);
            }
        }
        return it->second;
    }
    auto job = std::make_shared<Job>();
    job->request = request();
    job->key = key;
    m_jobs.emplace(key, job);
    if (first)
        m_queue.push_front(job);
    else
        m_queue.push_back(job);
    m_wake.notify_all();
    return job;
}

// Waits for `job`, telling the listener of the devices' states meanwhile; nullopt with `why`
// when no device is left, or when cancelled (`why` empty).
std::optional<QJsonObject> RemoteMeasurer::await(
    const std::shared_ptr<Job>& job, const std::atomic<bool>& cancel, std::string& why)
{
    std::unique_lock<std::mutex> lock(m_mutex);
    for (;;) {
        if (m_changed && m_listener) {
            m_changed = false;
            std::vector<DeviceStatus> now;
            for (const auto& d : m_devices)
                now.push_back(d->status);
            lock.unlock();
            m_listener(now);
            lock.lock();
            continue;
        }
        if (job->done || m_live == 0)
            break;
        if (cancel.load()) {
            job->cancel.store(true); // the agent ends it within a forward pass
            if (const auto q = std::find(m_queue.begin(), m_queue.end(), job); q != m_queue.end()) {
                m_queue.erase(q); // not begun (its device may be waiting to reconnect): ended at once
                job->done = true;
                continue;
            }
        }
        m_wake.wait_for(lock, std::chrono::milliseconds(50));
    }
    m_jobs.erase(job->key);
    if (job->answered)
        return job->answer;
    if (!job->failure.empty()) {
        QJsonObject failed;
        failed.insert(q("failed"), qs(job->failure));
        return failed;
    }
    why = job->cancel.load() ? std::string() : "every measuring device was lost (" + m_lastDrop + ")";
    return std::nullopt;
}

namespace {

    std::string jobKey(const ArchConfig& arch, bool confirm)
    {
        return (confirm ? "confirm|" : "measure|") + arch.key();
    }

    // What an agent answered for a measurement of `arch`; throws InputError when the answer is
    // not one (checked like a file's line).
    Measurement measurementFromAnswer(const QJsonObject& answer, const ArchConfig& arch)
    {
        Measurement m;
        if (answer.contains(q("failed"))) {
            m.status = Measurement::Status::Failed;
            m.error = answer.value(q("failed")).toString().toStdString();
            return m;
        }
        if (answer.value(q("cancelled")).toBool()) {
            m.status = Measurement::Status::Cancelled;
            return m;
        }
        if (answer.contains(q("error"))) {
            m.status = Measurement::Status::Failed;
            m.error = "the agent refused it: "
                + answer.value(q("error")).toObject().value(q("message")).toString().toStdString();
            return m;
        }
        const Candidate c = candidateFromJson(answer.value(q("result")).toObject());
        if (c.arch.key() != arch.key())
            throw InputError("result.arch", "is not the architecture asked for");
        return c.measurement;
    }

} // namespace

void RemoteMeasurer::start(const ArchConfig& arch, bool confirm)
{
    submit(
        jobKey(arch, confirm),
        [&] {
            return QJsonObject { { q("op"), q(confirm ? "confirm" : "measure") },
                { q("protocol"), protocolToJson(m_protocol) }, { q("arch"), archToJson(arch) } };
        },
        false);
}

void RemoteMeasurer::abandon(const ArchConfig& arch, bool confirm)
{
    std::lock_guard<std::mutex> lock(m_mutex);
    const auto it = m_jobs.find(jobKey(arch, confirm));
    if (it == m_jobs.end())
        return;
    it->second->cancel.store(true); // a device working on it tells its agent; a queued one is skipped
    m_jobs.erase(it);
}

Measurement RemoteMeasurer::take(const ArchConfig& arch, bool confirm, const std::atomic<bool>& cancel)
{
    const auto job = submit(
        jobKey(arch, confirm),
        [&] {
            return QJsonObject { { q("op"), q(confirm ? "confirm" : "measure") },
                { q("protocol"), protocolToJson(m_protocol) }, { q("arch"), archToJson(arch) } };
        },
        true);
    std::string why;
    const std::optional<QJsonObject> answer = await(job, cancel, why);
    if (!answer) {
        Measurement m;
        m.status = why.empty() ? Measurement::Status::Cancelled : Measurement::Status::Lost;
        m.error = why;
        return m;
    }
    try {
        return measurementFromAnswer(*answer, arch);
    } catch (const InputError& e) {
        Measurement m;
        m.status = Measurement::Status::Failed;
        m.error = "the agent's answer is not a measurement (" + std::string(e.what()) + ")";
        return m;
    }
}

Measurement RemoteMeasurer::measure(const ArchConfig& arch, const std::atomic<bool>& cancel)
{
    return take(arch, false, cancel);
}

Measurement RemoteMeasurer::confirm(const ArchConfig& arch, const std::atomic<bool>& cancel)
{
    return take(arch, true, cancel);
}

std::optional<Estimate> RemoteMeasurer::estimate(const ArchConfig& arch, const std::atomic<bool>& cancel)
{
    const int tokens = m_protocol.seqLen > 0 ? m_protocol.seqLen : arch.seqLen;
    auto timer = [&](const PartToTime& part) -> std::optional<PartCost> {
        ArchConfig context = part.arch; // no layers: sent with one, as a valid architecture
        context.nLayer = 1;
        context.nHead = { 1 };
        context.dInner = { 1 };
        const std::string key = "part|" + context.key() + "|" + partName(part.part) + "|" + std::to_string(part.width)
            + "|" + std::to_string(part.tokens);
        const auto job = submit(
            key,
            [&] {
                return QJsonObject { { q("op"), q("time_part") }, { q("protocol"), protocolToJson(m_protocol) },
                    { q("arch"), archToJson(context) }, { q("part"), q(partName(part.part)) },
                    { q("width"), part.width }, { q("tokens"), part.tokens } };
            },
            true);
        std::string why;
        const std::optional<QJsonObject> answer = await(job, cancel, why);
        if (!answer)
            return std::nullopt;
        const QJsonObject r = answer->value(q("result")).toObject();
        const double ms = r.value(q("ms")).toDouble(-1), mb = r.value(q("peak_mb")).toDouble(-1);
        if (!(ms > 0) || !(mb >= 0))
            return std::nullopt;
        return PartCost { ms, mb };
    };
    return m_table.estimate(arch, m_protocol.batch, tokens, timer);
}

} // namespace lts
