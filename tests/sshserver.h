// A real OpenSSH server for the remote-device tests: Debian's sshd started on 127.0.0.1 with a
// free port, a host key and a user key generated into a temporary folder, stopped by the test.
// Clients reach it with clientCommand() as LTS_SSH_COMMAND (its own config, known_hosts and key).
#pragma once

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QThread>

#include <arpa/inet.h>
#include <csignal>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <vector>

namespace lts::test {

class SshServer {
public:
    SshServer() = default;
    SshServer(const SshServer&) = delete;
    SshServer& operator=(const SshServer&) = delete;
    ~SshServer() { stop(); }

    // Generates the keys and configuration once, then starts sshd (again, on the same port, after
    // stop()). False with `error` when it cannot.
    bool start(QString* error)
    {
        if (!m_dir.isValid()) {
            *error = QStringLiteral("no temporary folder");
            return false;
        }
        if (m_port == 0 && !prepare(error))
            return false;
        QDir().mkpath(QStringLiteral("/run/sshd")); // sshd's privilege separation folder
        // Its complaints about the probes below (a connection closed unannounced) are not the test's.
        m_sshd.setStandardErrorFile(QProcess::nullDevice());
        // Its own process group, so that stop() also ends the connections it serves.
        m_sshd.setChildProcessModifier([] { ::setpgid(0, 0); });
        m_sshd.start(QStringLiteral("/usr/sbin/sshd"),
            { QStringLiteral("-D"), QStringLiteral("-e"), QStringLiteral("-f"), path("sshd_config") });
        if (!m_sshd.waitForStarted(5000)) {
            *error = QStringLiteral("cannot start /usr/sbin/sshd (install openssh-server): ") + m_sshd.errorString();
            return false;
        }
        for (int i = 0; i < 100; ++i) { // until it accepts connections
            if (accepts())
                return true;
            if (m_sshd.state() != QProcess::Running)
                break;
            QThread::msleep(50);
        }
        *error = QStringLiteral("sshd did not start listening on 127.0.0.1:%1").arg(m_port);
        return false;
    }

    // Kills sshd and every process it started (the connections it serves and the commands they
    // run), as a machine going away does.
    void stop()
    {
        if (m_sshd.state() == QProcess::NotRunning)
            return;
        const pid_t root = pid_t(m_sshd.processId());
        std::vector<pid_t> all { root };
        for (std::size_t i = 0; i < all.size(); ++i)
            for (pid_t child : children(all[i]))
                all.push_back(child);
        for (pid_t p : all)
            ::kill(p, SIGKILL);
        m_sshd.waitForFinished(5000);
    }

    int port() const { return m_port; }
    QString url(const QString& device = QStringLiteral("cpu")) const
    {
        return QStringLiteral("ssh://127.0.0.1:%1/%2").arg(m_port).arg(device);
    }
    // For LTS_SSH_COMMAND: ssh with this server's client configuration.
    QString clientCommand(const QString& config = QStringLiteral("ssh_config")) const
    {
        return QStringLiteral("ssh -F ") + path(config.toUtf8().constData());
    }
    // A client configuration whose known_hosts is empty (the host key is unknown).
    QString strangerConfig() const { return QStringLiteral("ssh_config_stranger"); }
    // One whose key the server does not accept.
    QString unauthorisedConfig() const { return QStringLiteral("ssh_config_unauthorised"); }
    QString path(const char* name) const { return m_dir.filePath(QString::fromUtf8(name)); }

private:
    bool prepare(QString* error)
    {
        for (const char* key : { "host_key", "user_key", "other_key" }) {
            QProcess keygen;
            keygen.start(QStringLiteral("ssh-keygen"),
                { QStringLiteral("-q"), QStringLiteral("-t"), QStringLiteral("ed25519"), QStringLiteral("-N"),
                    QString(), QStringLiteral("-f"), path(key) });
            if (!keygen.waitForFinished(20000) || keygen.exitCode() != 0) {
                *error = QStringLiteral("ssh-keygen failed (install openssh-client)");
                return false;
            }
        }
        m_port = freePort();
        const QByteArray dir = m_dir.path().toUtf8();
        write("authorized_keys", read("user_key.pub"));
        write("sshd_config",
            "Port " + QByteArray::number(m_port) + "\nListenAddress 127.0.0.1\nHostKey " + dir
                + "/host_key\nAuthorizedKeysFile " + dir
                + "/authorized_keys\nPidFile none\nStrictModes no\nPasswordAuthentication no\n"
                  "KbdInteractiveAuthentication no\nUsePAM no\nPermitRootLogin prohibit-password\n"
                  "LogLevel ERROR\n");
        write("known_hosts", "[127.0.0.1]:" + QByteArray::number(m_port) + " " + read("host_key.pub"));
        write("known_hosts_empty", "");
        auto client = [&](const char* name, const char* key, const char* knownHosts) {
            write(name,
                "Host *\n  IdentityFile " + dir + "/" + key + "\n  IdentitiesOnly yes\n  UserKnownHostsFile " + dir
                    + "/" + knownHosts
                    + "\n  GlobalKnownHostsFile /dev/null\n  StrictHostKeyChecking yes\n  LogLevel ERROR\n");
        };
        client("ssh_config", "user_key", "known_hosts");
        client("ssh_config_stranger", "user_key", "known_hosts_empty");
        client("ssh_config_unauthorised", "other_key", "known_hosts");
        return true;
    }

    bool accepts() const
    {
        const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a {};
        a.sin_family = AF_INET;
        a.sin_port = htons(quint16(m_port));
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
        ::close(fd);
        return ok;
    }

    static std::vector<pid_t> children(pid_t parent)
    {
        std::vector<pid_t> out;
        for (const QString& entry : QDir(QStringLiteral("/proc")).entryList(QDir::Dirs)) {
            bool isPid = false;
            const int pid = entry.toInt(&isPid);
            QFile stat(QStringLiteral("/proc/%1/stat").arg(entry));
            if (!isPid || !stat.open(QIODevice::ReadOnly))
                continue;
            // pid (comm) state ppid ...: comm may hold spaces, so read after the last ')'.
            const QByteArray s = stat.readAll();
            const QList<QByteArray> fields = s.mid(s.lastIndexOf(')') + 2).split(' ');
            if (fields.size() > 1 && fields[1].toInt() == parent)
                out.push_back(pid);
        }
        return out;
    }

    static int freePort()
    {
        const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a {};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
        socklen_t len = sizeof a;
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
        ::close(fd);
        return ntohs(a.sin_port);
    }

    QByteArray read(const char* name) const
    {
        QFile f(path(name));
        return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
    }
    void write(const char* name, const QByteArray& bytes) const
    {
        QFile f(path(name));
        if (f.open(QIODevice::WriteOnly))
            f.write(bytes);
        f.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    }

    QTemporaryDir m_dir;
    QProcess m_sshd;
    int m_port = 0;
};

} // namespace lts::test
