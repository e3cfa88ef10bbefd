// The interface between the search and a device that measures architectures: plain value types
// in and out, so a local LibTorch measurer, a cache in front of it, a remote device or a test's
// fake plug in alike.
#pragma once

#include "archconfig.h"
#include "measurement.h"

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace lts {

// A cheap estimate of a full measurement; 0 where this measurer cannot estimate the quantity.
struct Estimate {
    double latencyMs = 0;
    double peakMemoryMb = 0;
};

// Anything that can measure an architecture on a device. One thread uses a measurer at a time:
// the search calls every member from its own thread, except that `cancel` may be set from any
// thread and is polled between and inside forward passes.
class Measurer {
public:
    virtual ~Measurer() = default;
    virtual Measurement measure(const ArchConfig& arch, const std::atomic<bool>& cancel) = 0;
    // A second, more thorough measurement of an architecture measured before: more timed
    // passes, taken now, apart from the first; `confirmed` is set on a good one. The search
    // confirms its frontier points with it.
    virtual Measurement confirm(const ArchConfig& arch, const std::atomic<bool>& cancel)
    {
        Measurement m = measure(arch, cancel);
        m.confirmed = m.status == Measurement::Status::Ok;
        return m;
    }
    // Confirms several architectures together, in the same order. Where the device can hold them
    // all, a measurer may interleave their timings (TorchMeasurer does) so that the device's drift
    // falls on all of them alike; by default, one confirm() after another.
    virtual std::vector<Measurement> confirmTogether(
        const std::vector<ArchConfig>& archs, const std::atomic<bool>& cancel)
    {
        std::vector<Measurement> out;
        for (const auto& a : archs)
            out.push_back(confirm(a, cancel));
        return out;
    }
    virtual MeasureProtocol protocol() const = 0;
    // A cheap estimate of latency and peak memory in the protocol's conditions, when this
    // measurer has one; the search uses it to decide which candidates deserve a full measurement.
    virtual std::optional<Estimate> estimate(const ArchConfig& /*arch*/, const std::atomic<bool>& /*cancel*/)
    {
        return std::nullopt;
    }
    // The timings the estimates are built from (opaque key -> ms), kept with a run so that a
    // resumed run estimates exactly as the original did, and where they are valid: the device,
    // its protocol and the libraries. Empty when this measurer has no estimate.
    virtual std::map<std::string, double> estimateTable() const { return {}; }
    virtual void loadEstimateTable(const std::map<std::string, double>& /*table*/) { }
    virtual std::string fingerprint() const { return {}; }
    // True when measure() would answer at once (from a cache), so estimating is pointless.
    virtual bool hasMeasurement(const ArchConfig& /*arch*/) const { return false; }
    // A pool of devices measures ahead of the search: start() hands an architecture to the next
    // free device and returns at once; measure() or confirm() of it then waits for that
    // measurement; abandon() gives up on one started (cancelled where it is in progress). A
    // measurer of one device has parallelism 1, ignores start() and abandon(), and measures when
    // asked.
    virtual int parallelism() const { return 1; }
    virtual void start(const ArchConfig& /*arch*/, bool /*confirm*/) { }
    virtual void abandon(const ArchConfig& /*arch*/, bool /*confirm*/) { }
    // Called on the search's thread whenever the state of one of its devices changes (a pool of
    // remote devices); a local measurer has none to report.
    using StatusListener = std::function<void(const std::vector<DeviceStatus>&)>;
    virtual void setStatusListener(StatusListener /*listener*/) { }
};

} // namespace lts
