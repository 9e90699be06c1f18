#pragma once
// Input files in the case-file layout (docs/file_format.md, "Case files"): initial weights for
// network.init = "file" and inputs/targets for task.name = "file". Every missing dataset,
// wrong type or shape that disagrees with the config is a file_error naming the file and
// the dataset.
#include <cstdint>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "chaoschip/io/run_file.hpp"

namespace chaoschip::io {

// Reads weights_in_rec [n_rec,n_in], weights_rec_rec [n_rec,n_rec], weights_rec_out
// [n_out,n_rec], weights_out_rec [n_rec,n_out] (feedback).
weight_set read_case_weights(const std::string& path, std::int64_t n_in, std::int64_t n_rec,
                             std::int64_t n_out);

using spike_matrix = Eigen::Matrix<std::uint8_t, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

struct case_sequence {
  spike_matrix input_spikes;                  // [T, n_in], 0/1
  row_matrix target;                          // [T, n_out]
  std::vector<std::uint8_t> learning_window;  // [T]; all ones when the dataset is absent
};

// Reads input_spikes ([T,n_in] or [S,T,n_in] uint8), target ([T,n_out] or [S,T,n_out]
// float64) and the optional learning_window ([T] or [S,T] uint8); returns the S sequences.
// Without `require_target` a missing target is allowed (simulation only): the sequences'
// targets are then empty.
std::vector<case_sequence> read_case_task(const std::string& path, std::int64_t n_in,
                                          std::int64_t n_out, bool require_target = true);

}  // namespace chaoschip::io
