#pragma once
// Xylo (SynSense), bit-accurate to the xylosim kernel behind Rockpool's XyloSim (xylosim
// 0.1.3, src/v2/cpp/XyloIAFNeuron.cpp and XyloLayer.cpp; see docs/chips.md). Per step t:
//   1. every incoming spike, input channels first (by index), then the hidden spikes of
//      step t-1 (by index), adds its weight on its own: i_syn <- sat16(i_syn + int16(w << s))
//      (counts per source and step capped at 15 for input, 31 for recurrent)
//   2. i_syn <- i_syn - decay(i_syn, dash_syn)
//   3. dv = -decay(v, dash_mem); dv = sat16(dv + i_syn); dv = sat16(dv + bias); v = sat16(v + dv)
//   4. while v >= v_th and fewer than max_spikes: v <- v - v_th, emit a spike
// with decay(x, dash) = x >> dash (arithmetic: floors), or +-1 where that is 0 and x != 0.
#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <Eigen/Core>

#include "chaoschip/core/population.hpp"
#include "chaoschip/core/projection.hpp"
#include "chaoschip/core/recordables.hpp"
#include "chaoschip/neuromorphic/loihi.hpp"

namespace chaoschip::neuromorphic {

struct xylo_parameters {
  std::int64_t dash_mem = 1;            // 0..15
  std::int64_t dash_syn = 1;            // 0..15 (0 erases every input before it reaches v)
  std::vector<std::int64_t> v_th{100};  // 16-bit threshold per neuron (one value: all)
  std::int64_t bias = 0;
  std::vector<int> weight_shift{0, 0};  // per input port: input, recurrent
  std::vector<int> max_events{15, 31};  // per input port: spike count cap per source and step
  int max_spikes = 31;                  // per neuron and step
  int state_bits = 16;
};

// decay(x, dash) of xylosim.
constexpr std::int64_t xylo_decay(std::int64_t x, std::int64_t dash) noexcept {
  const std::int64_t d = x >> dash;
  return d != 0 ? d : (x > 0 ? 1 : (x < 0 ? -1 : 0));
}

class xylo_iaf : public with_recordables<xylo_iaf> {
 public:
  using parameters = xylo_parameters;
  struct inbox_entry {
    std::size_t port;
    std::int64_t arrival;
    std::vector<std::uint32_t> spikes;
    const projection* weights;
  };
  // int16(w << shift) of one incoming projection, [post, pre], for vectorised adds.
  struct weight_cache {
    const projection* weights = nullptr;
    std::uint64_t version = 0;
    int shift = 0;
    Eigen::Matrix<std::int32_t, Eigen::Dynamic, Eigen::Dynamic> shifted;
  };
  struct state {
    int_array i_syn, v;
    Eigen::ArrayXd z;                    // spike count of the last step
    std::vector<std::uint32_t> spiking;  // an index once per spike
    std::vector<inbox_entry> inbox;
    std::vector<weight_cache> caches;
    Eigen::Array<std::int32_t, Eigen::Dynamic, 1> i32;  // i_syn during event integration
  };
  static constexpr output_kind output = output_kind::spikes;

  explicit xylo_iaf(const parameters& p);
  std::string_view name() const noexcept { return "xylo_iaf"; }
  state make_state(std::size_t n) const;
  void receive(state& s, std::size_t port, std::int64_t arrival,
               std::span<const std::uint32_t> spikes, const projection& w) const;
  void step_events(state& s, std::int64_t t) const;

  static constexpr auto recordables() {
    return std::array{recordable<xylo_iaf>{"i_syn", &state::i_syn},
                      recordable<xylo_iaf>{"v", &state::v}};
  }
  const parameters& params() const noexcept { return p_; }

 private:
  std::int64_t sat(std::int64_t x) const noexcept { return std::clamp(x, lo_, hi_); }
  std::int64_t narrow(std::int64_t x) const noexcept;  // two's-complement wrap to state_bits
  parameters p_;
  std::int64_t lo_, hi_;
  const weight_cache& cached(state& s, const projection& w, int shift) const;
};

}  // namespace chaoschip::neuromorphic
