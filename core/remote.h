// Measuring on remote devices: `lts-search serve`, a measurement agent speaking JSON lines on
// stdin and stdout, reached over OpenSSH; a Measurer for one remote device or a pool of alike
// ones that measure a batch in parallel. Plain value types in and out; no LibTorch here.
//
// The protocol (version kAgentProtocol), one JSON object per line, at most kMaxAgentLineBytes:
//   agent -> host, once:  {"lts_agent": 1, "program": "lts-search", "version": "...",
//                          "identity": {"cpu": ..., "cores": ..., "blas": ..., "torch": ..., ...}}
//   host -> agent:        {"id": N, "op": "measure" | "confirm", "protocol": {...}, "arch": {...}}
//                         {"id": N, "op": "time_part", "protocol": {...}, "arch": {...},
//                          "part": "head" | "attention" | "feed_forward", "width": W, "tokens": T}
//                         {"id": N, "op": "fingerprint", "protocol": {...}}
//                         {"op": "cancel"}  (cancels the request in progress, if any)
//   agent -> host:        {"id": N, "result": {...}} | {"id": N, "cancelled": true}
//                         | {"id": N, "error": {"field": "...", "message": "..."}}
#pragma once

#include "measurer.h"
#include "partcosts.h"

#include <QJsonObject>

#include <condition_variable>
#include <cstdio>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace lts {

// 2: the protocol may ask for the Generate workload; 3: for a precision
inline constexpr int kAgentProtocol = 3;
inline constexpr int kMaxAgentLineBytes = 1 << 20;

// ssh://[user@]host[:port]/cpu or /cuda[:N]. Throws InputError naming `field`.
struct DeviceSpec {
    std::string user; // empty: ssh's default
    std::string host;
    int port = 0; // 0: ssh's default
    std::string device = "cpu"; // on the remote machine: cpu, cuda or cuda:N
    std::string url() const;
    static DeviceSpec parse(const std::string& url, const std::string& field);
};
bool isRemoteDevice(const std::string& device); // starts with ssh://

// What an agent says of itself in its greeting (what session.json records of a local machine).
QJsonObject agentIdentity();

// Runs the agent on `in` and `out` until `in` ends: returns 0. Every request is validated by the
// file readers' rules; a bad one is answered with an error naming the field, never a crash.
int serveAgent(std::FILE* in, std::FILE* out);

// How a remote device is reached: the ssh command (LTS_SSH_COMMAND, run by /bin/sh like git's
// GIT_SSH_COMMAND; default "ssh") and the program to start there.
struct RemoteOptions {
    std::string sshCommand; // empty: $LTS_SSH_COMMAND, else ssh
    std::string remoteProgram = "lts-search";
    double connectTimeoutS = 30; // until the greeting
    // Reconnection after a drop: waits of 1, 2, 4... s, this many tries before a device is lost.
    int reconnectTries = 4;
    double firstBackoffS = 1;
};

// Connects to the device and returns the agent's greeting (identity included); throws
// InputError("device", ...) with one clear message per failure: ssh cannot connect, the host key
// is unknown, authentication fails, the remote program is missing, the protocol versions differ.
QJsonObject probeDevice(const DeviceSpec& spec, const RemoteOptions& options);

// Measures on one remote device, or a pool of alike ones (same identity: refused otherwise,
// naming what differs) that measure a batch in parallel. A device whose connection drops or
// whose agent dies is reconnected with back-off; its candidate goes back to the queue and is
// measured once. An architecture on which agents died twice is recorded failed (the board ran
// out of memory, most likely); when every device is lost the measurement is Status::Lost.
class RemoteMeasurer final : public Measurer {
public:
    // Connects to every device (throws InputError as probeDevice does) and checks the protocol
    // can be measured there.
    RemoteMeasurer(std::vector<DeviceSpec> devices, MeasureProtocol protocol, RemoteOptions options = {});
    ~RemoteMeasurer() override;

    // Waits for the measurement when start() handed it to a device, else asks the next free one.
    Measurement measure(const ArchConfig& arch, const std::atomic<bool>& cancel) override;
    Measurement confirm(const ArchConfig& arch, const std::atomic<bool>& cancel) override;
    void start(const ArchConfig& arch, bool confirm) override;
    void abandon(const ArchConfig& arch, bool confirm) override;
    int parallelism() const override;
    MeasureProtocol protocol() const override { return m_protocol; }
    std::optional<Estimate> estimate(const ArchConfig& arch, const std::atomic<bool>& cancel) override;
    std::map<std::string, double> estimateTable() const override { return m_table.entries(); }
    void loadEstimateTable(const std::map<std::string, double>& table) override { m_table.load(table); }
    std::string fingerprint() const override { return m_fingerprint; }

    const QJsonObject& identity() const { return m_identity; }
    std::vector<DeviceStatus> statuses() const;
    void setStatusListener(StatusListener listener) override { m_listener = std::move(listener); }

    struct Device; // one connection (remote.cpp)

private:
    struct Job;
    void work(Device& d);
    void setState(Device& d, DeviceState state, const std::string& detail);
    std::shared_ptr<Job> submit(const std::string& key, const std::function<QJsonObject()>& request, bool first);
    std::optional<QJsonObject> await(
        const std::shared_ptr<Job>& job, const std::atomic<bool>& cancel, std::string& why);
    Measurement take(const ArchConfig& arch, bool confirm, const std::atomic<bool>& cancel);

    MeasureProtocol m_protocol;
    RemoteOptions m_options;
    std::vector<std::unique_ptr<Device>> m_devices;
    QJsonObject m_identity;
    std::string m_fingerprint;
    PartCostTable m_table; // used on the search's thread only
    StatusListener m_listener;

    // The pool: one thread per device takes jobs from the queue.
    mutable std::mutex m_mutex;
    std::condition_variable m_wake;
    std::deque<std::shared_ptr<Job>> m_queue;
    std::map<std::string, std::shared_ptr<Job>> m_jobs; // started and not yet taken, by key
    std::vector<std::thread> m_workers;
    std::atomic<bool> m_shutdown { false };
    int m_live = 0; // devices not lost
    bool m_changed = false; // a device's state changed since the listener was told
    std::string m_lastDrop; // the last connection that ended, and why
};

} // namespace lts
