#include "chaoschip/neuromorphic/xylo.hpp"

#include <algorithm>
#include <string>

#include "chaoschip/core/errors.hpp"
#include "chaoschip/neuromorphic/fixed_point.hpp"

namespace chaoschip::neuromorphic {

namespace {
void require(bool ok, const char* key, std::int64_t value, const char* expected) {
  if (!ok) throw parameter_error(key, std::to_string(value), expected);
}
}  // namespace

xylo_iaf::xylo_iaf(const parameters& p) : p_(p) {
  require(p.dash_mem >= 0 && p.dash_mem <= 15, "chip.dash_mem", p.dash_mem,
          "an integer in [0, 15]");
  require(p.dash_syn >= 0 && p.dash_syn <= 15, "chip.dash_syn", p.dash_syn,
          "an integer in [0, 15]");
  // Events are integrated in 32-bit lanes: two 24-bit values cannot overflow them.
  require(p.state_bits >= 4 && p.state_bits <= 24, "chip.state_bits", p.state_bits,
          "an integer in [4, 24]");
  require(p.max_spikes >= 1, "chip.max_spikes", p.max_spikes, "an integer >= 1");
  hi_ = (std::int64_t{1} << (p.state_bits - 1)) - 1;
  lo_ = -hi_ - 1;
  if (p.v_th.empty()) throw parameter_error("chip.v_th", "[]", "one threshold or one per neuron");
  for (auto th : p.v_th)
    require(th >= lo_ && th <= hi_, "chip.v_th", th, "a value of the state width");
  require(p.bias >= lo_ && p.bias <= hi_, "chip.bias", p.bias, "a value of the state width");
}

std::int64_t xylo_iaf::narrow(std::int64_t x) const noexcept {
  return wrap_to(x, fixed_format{p_.state_bits, 0, true});
}

xylo_iaf::state xylo_iaf::make_state(std::size_t n) const {
  if (p_.v_th.size() != 1 && p_.v_th.size() != n)
    throw parameter_error("chip.v_th", std::to_string(p_.v_th.size()) + " thresholds",
                          "one threshold or one per neuron (" + std::to_string(n) + ")");
  const auto m = static_cast<Eigen::Index>(n);
  state s;
  s.i_syn = int_array::Zero(m);
  s.v = int_array::Zero(m);
  s.z = Eigen::ArrayXd::Zero(m);
  s.spiking.reserve(n);
  return s;
}

void xylo_iaf::receive(state& s, std::size_t port, std::int64_t arrival,
                       std::span<const std::uint32_t> spikes, const projection& w) const {
  if (spikes.empty()) return;
  if (!dynamic_cast<const dense_projection*>(&w))
    throw error("xylo_iaf: incoming projections must be dense");
  s.inbox.push_back({port, arrival, {spikes.begin(), spikes.end()}, &w});
}

const xylo_iaf::weight_cache& xylo_iaf::cached(state& s, const projection& w, int shift) const {
  for (auto& c : s.caches) {
    if (c.weights != &w) continue;
    if (c.version != w.version() || c.shift != shift) {
      const auto& d = static_cast<const dense_projection&>(w).weights();
      c.shifted = d.unaryExpr([&](double x) {
        return static_cast<std::int32_t>(
            narrow(static_cast<std::int64_t>(x) * (std::int64_t{1} << shift)));
      });
      c.version = w.version();
      c.shift = shift;
    }
    return c;
  }
  s.caches.push_back({&w, w.version() + 1, shift, {}});  // stale: filled below
  return cached(s, w, shift);
}

void xylo_iaf::step_events(state& s, std::int64_t t) const {
  // 1. Per-event saturating integration, ports in connection order, sources by index.
  std::stable_sort(s.inbox.begin(), s.inbox.end(),
                   [](const inbox_entry& a, const inbox_entry& b) { return a.port < b.port; });
  std::vector<std::uint32_t> counts;
  bool any = false;
  for (const auto& e : s.inbox) {
    if (e.arrival != t) continue;
    if (!any) s.i32 = s.i_syn.cast<std::int32_t>();  // the state fits 32 bits (<= 32-bit widths)
    any = true;
    const int shift = e.port < p_.weight_shift.size() ? p_.weight_shift[e.port] : 0;
    const std::uint32_t cap =
        e.port < p_.max_events.size() ? static_cast<std::uint32_t>(p_.max_events[e.port]) : 31u;
    const auto& w = cached(s, *e.weights, shift).shifted;
    counts.assign(static_cast<std::size_t>(w.cols()), 0);
    for (auto pre : e.spikes) ++counts[pre];
    const auto lo = static_cast<std::int32_t>(lo_), hi = static_cast<std::int32_t>(hi_);
    for (Eigen::Index pre = 0; pre < w.cols(); ++pre) {
      const std::uint32_t n = std::min(counts[static_cast<std::size_t>(pre)], cap);
      for (std::uint32_t k = 0; k < n; ++k)
        s.i32 = (s.i32 + w.col(pre).array()).cwiseMax(lo).cwiseMin(hi);
    }
  }
  if (any) s.i_syn = s.i32.cast<std::int64_t>();
  std::erase_if(s.inbox, [t](const inbox_entry& e) { return e.arrival <= t; });

  // 2.-4. Neuron update (xylosim v2 XyloIAFNeuron::evolve).
  s.spiking.clear();
  for (Eigen::Index i = 0; i < s.v.size(); ++i) {
    s.i_syn[i] -= xylo_decay(s.i_syn[i], p_.dash_syn);
    std::int64_t dv = narrow(-xylo_decay(s.v[i], p_.dash_mem));
    dv = sat(dv + s.i_syn[i]);
    dv = sat(dv + p_.bias);
    std::int64_t v = sat(s.v[i] + dv);
    const std::int64_t th = p_.v_th.size() == 1 ? p_.v_th[0] : p_.v_th[static_cast<std::size_t>(i)];
    int n = 0;
    while (v >= th && n < p_.max_spikes) {
      ++n;
      v = narrow(v - th);  // unsaturated int16 subtraction
      s.spiking.push_back(static_cast<std::uint32_t>(i));
    }
    s.v[i] = v;
    s.z[i] = n;
  }
}

}  // namespace chaoschip::neuromorphic
