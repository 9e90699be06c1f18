// chaoschip: the command line. Subcommands only; the science lives in the libraries.
#include <malloc.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#ifdef CHAOSCHIP_HAVE_MPI
#include <mpi.h>
#endif

#include "chaoschip/core/errors.hpp"
#include "chaoschip/core/thread_pool.hpp"
#include "chaoschip/experiment/experiment.hpp"
#include "chaoschip/experiment/lyapunov.hpp"
#include "chaoschip/experiment/nir_export.hpp"
#include "chaoschip/experiment/resources.hpp"
#include "chaoschip/experiment/sweep.hpp"
#include "chaoschip/experiment/whatif.hpp"
#include "chaoschip/io/config.hpp"
#include "chaoschip/io/nir.hpp"
#include "chaoschip/io/paths.hpp"
#include "chaoschip/io/run_file.hpp"
#include "chaoschip/neuromorphic/profile.hpp"

namespace {

namespace fs = std::filesystem;
using namespace chaoschip;

std::string version_string() {
  return fmt::format("chaoschip {} (git {})", CHAOSCHIP_VERSION, CHAOSCHIP_GIT_REVISION);
}

// Fails early (before a long run) when the output cannot be written there or is one of the
// command's inputs: the config file itself or a file the config reads.
void check_output(const std::string& output, const std::string& config_path,
                  const io::run_config& cfg, const std::string& command) {
  std::vector<std::string> inputs = io::config_inputs(cfg);
  if (!config_path.empty()) inputs.push_back(config_path);
  io::check_not_an_input(output, inputs, command);
  io::check_output_file(output);
}

// Before anything large is allocated: refuses a command the machine cannot hold (exit 2)
// and says when its output file will be large.
void check_resources(const io::memory_estimate& need, const std::string& command,
                     const std::string& output, bool quiet) {
  io::require_memory(need, io::mem_available(), command);
  if (!quiet && need.output_bytes > 1e9)
    std::cerr << fmt::format("chaoschip: {} will write about {} to {}\n", command,
                             io::format_bytes(need.output_bytes), output);
}

std::string format_duration(double s) {
  if (!std::isfinite(s) || s < 0) return "?";
  if (s < 60) return fmt::format("{:.0f}s", s);
  if (s < 3600) return fmt::format("{:.0f}m{:02.0f}s", std::floor(s / 60), std::fmod(s, 60));
  return fmt::format("{:.0f}h{:02.0f}m", std::floor(s / 3600), std::fmod(s / 60, 60));
}

// Progress: on a terminal, one line on stdout redrawn at most ten times a second; off a
// terminal (a log file, a batch job), a plain line on stderr at most every 10 s (the
// undocumented CHAOSCHIP_PROGRESS_INTERVAL, in seconds, shortens it for the tests).
class progress_line {
 public:
  explicit progress_line(bool enabled)
      : enabled_(enabled), terminal_(isatty(fileno(stdout)) != 0), interval_(plain_interval()) {}
  void operator()(const experiment::progress_info& p) {
    if (!enabled_) return;
    const auto now = clock::now();
    const bool done = p.finished;
    if (!due(now, done)) return;
    const double elapsed = std::chrono::duration<double>(now - start_).count();
    const double frac = p.steps_total > 0
                            ? static_cast<double>(p.steps_done) / static_cast<double>(p.steps_total)
                            : 1.0;
    const double eta = frac > 0 ? elapsed * (1 - frac) / frac : NAN;
    std::string loss = std::isnan(p.loss) ? "-" : fmt::format("{:.5g}", p.loss);
    show(fmt::format("iteration {}/{}  step {}/{}  loss {}  ETA {}", p.iteration, p.iterations,
                     p.steps_done, p.steps_total, loss, format_duration(eta)),
         done);
  }
  // A labelled step counter (Lyapunov spectra).
  void steps(const std::string& label, std::int64_t done, std::int64_t total) {
    if (!enabled_) return;
    const auto now = clock::now();
    if (!due(now, done >= total)) return;
    const double elapsed = std::chrono::duration<double>(now - start_).count();
    const double frac = total > 0 ? static_cast<double>(done) / static_cast<double>(total) : 1.0;
    show(fmt::format("{}: step {}/{}  ETA {}", label, done, total,
                     format_duration(frac > 0 ? elapsed * (1 - frac) / frac : NAN)),
         done >= total);
  }
  void restart() { start_ = clock::now(); }

 private:
  using clock = std::chrono::steady_clock;
  static std::chrono::duration<double> plain_interval() {
    const char* s = std::getenv("CHAOSCHIP_PROGRESS_INTERVAL");
    const double v = s ? std::atof(s) : 0.0;
    return std::chrono::duration<double>(v > 0 ? v : 10.0);
  }
  // Off a terminal the last line is not printed: the summary follows.
  bool due(clock::time_point now, bool done) {
    if (terminal_) {
      if (!done && now - last_ < std::chrono::milliseconds(100)) return false;
    } else if (done || now - (plain_shown_ ? last_ : start_) < interval_) {
      return false;
    }
    last_ = now;
    return true;
  }
  void show(const std::string& text, bool done) {
    if (!terminal_) {
      plain_shown_ = true;
      std::fprintf(stderr, "chaoschip: %s\n", text.c_str());
      std::fflush(stderr);
      return;
    }
    std::fprintf(stdout, "\r\033[K%s", text.c_str());
    if (done) std::fputc('\n', stdout);
    std::fflush(stdout);
  }
  bool enabled_, terminal_, plain_shown_ = false;
  std::chrono::duration<double> interval_;
  clock::time_point start_ = clock::now(), last_{};
};

struct run_args {
  std::string config;
  std::string output = "chaoschip-run.h5";
  std::vector<std::string> sets;
  int threads = 0;
  bool quiet = false;
  std::string resume;  // checkpoint to continue from
};

// A word as a POSIX shell reads it back: single-quoted unless it is plain.
std::string shell_word(const std::string& w) {
  const bool plain = !w.empty() && w.find_first_not_of(
                                       "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN"
                                       "OPQRSTUVWXYZ0123456789_./=:,+-@%") == std::string::npos;
  if (plain) return w;
  std::string q = "'";
  for (char c : w) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// The command that continues an interrupted `chaoschip run` from its checkpoint.
std::string resume_command(const run_args& a, const std::string& checkpoint) {
  std::string cmd = "chaoschip run";
  if (!a.config.empty()) cmd += " " + shell_word(a.config);
  cmd += " -o " + shell_word(a.output);
  for (const auto& s : a.sets) cmd += " --set " + shell_word(s);
  return cmd + " --resume " + shell_word(checkpoint);
}

int cmd_run(const run_args& a) {
  const io::run_config cfg =
      a.config.empty()
          ? io::parse_config(experiment::default_experiment_toml(), "<embedded default>", a.sets)
          : io::load_config(a.config, a.sets);
  experiment::check_supported(cfg);
  check_output(a.output, a.config, cfg, "run");
  check_resources(experiment::estimate_run(cfg), "this run", a.output, a.quiet);
  progress_line progress(!a.quiet);
  const auto t0 = std::chrono::steady_clock::now();
  thread_pool pool(static_cast<unsigned>(a.threads));
  // OUT.ckpt: every train.checkpoint_every iterations and on SIGINT; removed on success.
  experiment::training_control control;
  control.checkpoint_path = a.output + ".ckpt";
  control.catch_sigint = true;
  // Never overwrite the only copy of an interrupted run's progress by starting afresh.
  if (a.resume.empty() && fs::exists(control.checkpoint_path))
    throw file_error(control.checkpoint_path,
                     "holds the checkpoint of an interrupted run: continue it with --resume " +
                         control.checkpoint_path + ", or remove it to start afresh");
  std::optional<io::checkpoint> resumed;
  if (!a.resume.empty()) {
    resumed = io::read_checkpoint(a.resume);
    control.resume = &*resumed;
    control.resume_path = a.resume;
  }
  io::run_data data;
  try {
    data = experiment::run_experiment(
        cfg, [&](const experiment::progress_info& p) { progress(p); }, &pool, control);
  } catch (const experiment::training_interrupted& e) {
    std::cerr << fmt::format("{}chaoschip: interrupted at iteration {}/{}; resume with: {}\n",
                             !a.quiet && isatty(fileno(stdout)) ? "\r\033[K" : "", e.iteration(),
                             e.iterations(), resume_command(a, e.checkpoint_path()));
    return 130;
  }
  if (a.config.empty() && a.sets.empty()) {
    // The embedded default is a small gain study: the same network trained from a few
    // gains, on the float64 and the loihi profile, as a table in /study. (With --set the
    // default is a starting point for something else, and the study is skipped.)
    data.study = experiment::default_study(a.sets, &pool, [&](std::size_t done, std::size_t total) {
      progress.steps("gain study", static_cast<std::int64_t>(done),
                     static_cast<std::int64_t>(total));
    });
  }
  io::write_run_file(a.output, data);
  io::remove_checkpoint(control.checkpoint_path);
  if (!a.quiet) {
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::string loss;
    if (!data.train_loss.empty()) loss = fmt::format(", loss {:.6g}", data.train_loss.back());
    if (data.study) {
      std::cout << "gain study (/study): gain, profile, final loss, lambda_max before -> after\n";
      const auto& t = *data.study;
      for (std::size_t i = 0; i < t.numbers[0].second.size(); ++i)
        std::cout << fmt::format(
            "  g = {:<4g} {:<8} loss {:8.4g}   lambda_max {:+.4f} -> {:+.4f}\n",
            t.numbers[0].second[i], t.strings[0].second[i], t.numbers[1].second[i],
            t.numbers[2].second[i], t.numbers[3].second[i]);
    }
    const auto steps = std::get<std::int64_t>(data.root_attributes.at("steps"));
    if (data.graph)
      std::cout << fmt::format("wrote {} (NIR graph {}, {} steps, {:.2f} s)\n", a.output,
                               fs::path(cfg.network.file).filename().string(), steps, s);
    else
      std::cout << fmt::format(
          "wrote {} ({} network, {} recurrent neurons, {} steps{}, {:.2f} s)\n", a.output,
          cfg.network.model, cfg.network.n_rec, steps, loss, s);
  }
  return 0;
}

struct lyapunov_args {
  std::string input, output;
  std::vector<std::string> sets;
  int threads = 0;
  bool quiet = false;
};

// NAME.lyap.h5 in the current directory, like `run`'s output (not beside the input, which
// may be a read-only examples folder).
std::string lyapunov_output(const std::string& input) {
  return fs::path(input).stem().string() + ".lyap.h5";
}

void print_spectrum(const std::string& group, const io::lyapunov_data& d) {
  const auto k = d.exponents.size();
  std::string head;
  for (Eigen::Index i = 0; i < std::min<Eigen::Index>(k, 5); ++i)
    head += fmt::format("{}{:.5g}", i ? ", " : "", d.exponents[i]);
  if (k > 5) head += ", ...";
  std::cout << fmt::format(
      "{}: lambda_max {:.5g} per step ({:.5g} per ms); k = {}: [{}]; Kaplan-Yorke {}, "
      "entropy {:.4g} per step{} ({}, {})\n",
      group, d.exponents[0], d.exponents[0] / d.dt, k, head,
      io::format_kaplan_yorke(d.kaplan_yorke, k), d.entropy_rate,
      std::isnan(d.twin) ? std::string() : fmt::format("; twin trajectory {:.5g}", d.twin),
      d.jacobian, d.source);
}

int cmd_lyapunov(const lyapunov_args& a) {
  const std::string output = a.output.empty() ? lyapunov_output(a.input) : a.output;
  io::check_not_an_input(output, {a.input}, "lyapunov");
  io::check_output_file(output);
  thread_pool pool(static_cast<unsigned>(a.threads));
  progress_line line(!a.quiet);
  auto progress = [&line](const std::string& label) {
    line.restart();
    return
        [&line, label](std::int64_t done, std::int64_t total) { line.steps(label, done, total); };
  };
  io::run_data out;
  const bool from_config = fs::path(a.input).extension() == ".toml";
  io::run_config cfg;
  if (from_config) {
    // An untrained network: the spectrum of the initial weights.
    cfg = io::load_config(a.input, a.sets);
    experiment::check_supported(cfg);
    check_output(output, a.input, cfg, "lyapunov");
    check_resources(experiment::estimate_lyapunov(cfg, cfg.record.states), "this spectrum", output,
                    a.quiet);
    out.initial = experiment::make_initial_weights(cfg);
    io::state_log log;
    out.lyapunov.emplace_back(
        "before",
        experiment::measure_lyapunov(cfg, *out.initial, &pool, cfg.record.states ? &log : nullptr,
                                     progress("lyapunov before")));
    if (cfg.record.states) {
      for (const auto& [var, rows] : log.variables)
        out.states.push_back({"recurrent", var, static_cast<std::size_t>(rows.rows()),
                              static_cast<std::size_t>(rows.cols()),
                              std::vector<double>(rows.data(), rows.data() + rows.size()), false});
      out.states_attributes["recurrent"] = log.attributes;
      out.states_attributes["recurrent"]["weights"] = "initial";
    }
  } else {
    // A run file (or a state log in its layout): its weights, or its recorded trajectory.
    cfg = io::parse_config(io::read_config_attribute(a.input), a.input + " (config attribute)",
                           a.sets);
    experiment::check_supported(cfg);
    check_output(output, a.input, cfg, "lyapunov");
    check_resources(experiment::estimate_lyapunov(cfg, false), "this spectrum", output, a.quiet);
    // Checked against the layout and the config: shapes, types, codes, attributes.
    out.initial = io::read_weights(a.input, "initial", cfg);
    out.final = io::read_weights(a.input, "final", cfg);
    if (!out.initial) throw file_error(a.input, "has no /network/initial weights");
    const auto log = io::read_state_log(a.input, "recurrent", cfg);
    auto attribute = [&](const std::string& key) {
      const auto it = log->attributes.find(key);
      const auto* s = it == log->attributes.end() ? nullptr : std::get_if<std::string>(&it->second);
      return s ? *s : std::string();
    };
    if (log && attribute("trajectory") != "training") {
      const bool final = attribute("weights") == "final";
      if (final && !out.final) throw file_error(a.input, "has no /network/final weights");
      try {
        out.lyapunov.emplace_back(
            final ? "after" : "before",
            experiment::lyapunov_from_log(cfg, final ? *out.final : *out.initial, *log, &pool,
                                          progress("lyapunov (log)")));
      } catch (const input_error&) {
        throw;
      } catch (const numerical_error&) {
        throw;
      } catch (const error& e) {
        throw file_error(a.input, std::string("/states/recurrent: ") + e.what());
      }
    } else {
      for (const auto& when : cfg.lyapunov.when) {
        if (when == "after" && !out.final) continue;
        out.lyapunov.emplace_back(
            when, experiment::measure_lyapunov(cfg, when == "after" ? *out.final : *out.initial,
                                               &pool, nullptr, progress("lyapunov " + when)));
      }
      if (out.lyapunov.empty())
        throw parameter_error("lyapunov.when", "[]", "\"before\" and/or \"after\"");
    }
  }
  out.config_toml = io::to_toml(cfg);
  out.root_attributes["dt"] = cfg.network.dt;
  out.root_attributes["model"] = cfg.network.model;
  out.root_attributes["source"] = a.input;
  io::write_run_file(output, out);
  if (!a.quiet) {
    for (const auto& [group, d] : out.lyapunov) print_spectrum(group, d);
    std::cout << "wrote " << output << "\n";
  }
  return 0;
}

struct sweep_args {
  io::sweep_spec spec;
  std::vector<std::string> grids;
  int jobs = -1;  // -1: all cores (1 per rank under MPI)
  bool quiet = false;
};

// Whether a process manager started this process as one rank of several (mpirun, srun):
// a plain `chaoschip sweep` does not initialise MPI at all, which saves OpenMPI's start-up
// and keeps working where OpenMPI cannot start (no network interfaces, sandboxes).
bool started_by_mpi_launcher() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"})
    if (std::getenv(name) != nullptr) return true;
  return false;
}

// MPI for the duration of a sweep (when built with it and started by mpirun).
class mpi_session {
 public:
  mpi_session() {
#ifdef CHAOSCHIP_HAVE_MPI
    if (!started_by_mpi_launcher()) return;
    active_ = true;
    int provided = 0;
    MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
#else
    // Started by mpirun without MPI support: every process would run every point.
    if (const char* n = std::getenv("OMPI_COMM_WORLD_SIZE"); n && std::atoi(n) > 1)
      throw input_error(
          "this chaoschip was built without MPI; run the sweep without mpirun "
          "(or rebuild with libopenmpi-dev installed)");
#endif
  }
  ~mpi_session() {
#ifdef CHAOSCHIP_HAVE_MPI
    if (active_) MPI_Finalize();
#endif
  }
  mpi_session(const mpi_session&) = delete;
  mpi_session& operator=(const mpi_session&) = delete;
  int rank() const {
    return rank_;
  }
  int size() const {
    return size_;
  }
  void barrier() const {
#ifdef CHAOSCHIP_HAVE_MPI
    if (active_) MPI_Barrier(MPI_COMM_WORLD);
#endif
  }
  [[noreturn]] void abort(int code) const {
#ifdef CHAOSCHIP_HAVE_MPI
    if (size_ > 1) MPI_Abort(MPI_COMM_WORLD, code);
#endif
    std::exit(code);
  }

 private:
  int rank_ = 0, size_ = 1;
  [[maybe_unused]] bool active_ = false;
};

int cmd_sweep(sweep_args& a) {
  for (const auto& g : a.grids) a.spec.grid.push_back(experiment::parse_grid(g));
  mpi_session mpi;
  {
    // The table of every point, and the points running at once, before expanding them.
    double count = static_cast<double>(a.spec.seeds);
    for (const auto& g : a.spec.grid) count *= static_cast<double>(g.values.size());
    const unsigned threads = a.jobs > 0       ? static_cast<unsigned>(a.jobs)
                             : mpi.size() > 1 ? 1u
                                              : std::thread::hardware_concurrency();
    check_resources(
        experiment::estimate_sweep(count, a.spec.grid.size(), a.spec.seeds,
                                   io::load_config(a.spec.config, a.spec.overrides), threads),
        "this sweep", a.spec.dir, a.quiet || mpi.rank() != 0);
  }
  // Checks every point's config before running any, so a typo in a key fails at once;
  // bad values stay per point (recorded as failed in the summary).
  const auto points = experiment::expand(a.spec);
  if (mpi.rank() == 0) {
    io::check_output_directory(a.spec.dir);
    std::error_code ec;
    fs::create_directories(a.spec.dir, ec);
    if (!fs::is_directory(a.spec.dir))
      throw file_error(a.spec.dir, "cannot create the sweep directory");
    // Temporary files of an interrupted earlier run (killed before it could clean up).
    for (const auto& e : fs::directory_iterator(a.spec.dir)) {
      const std::string name = e.path().filename().string();
      if (name.starts_with(".point_") && name.find(".tmp.") != std::string::npos)
        fs::remove(e.path(), ec);
    }
  }
  mpi.barrier();
  std::vector<std::size_t> mine;
  for (std::size_t i = 0; i < points.size(); ++i)
    if (static_cast<int>(i % static_cast<std::size_t>(mpi.size())) == mpi.rank()) mine.push_back(i);
  const unsigned jobs = a.jobs >= 0 ? static_cast<unsigned>(a.jobs) : (mpi.size() > 1 ? 1u : 0u);
  thread_pool pool(jobs);
  const bool show = !a.quiet && mpi.rank() == 0 && isatty(fileno(stdout));
  progress_line line(!a.quiet && mpi.rank() == 0);
  std::size_t finished = 0, reused = 0;
  experiment::run_points(
      a.spec, points, mine, pool, [&](const io::sweep_point& p, const experiment::point_result& r) {
        ++finished;
        reused += r.state == experiment::point_state::reused;
        if (r.state ==
            experiment::point_state::failed)  // also with --quiet: errors are not progress
          std::cerr << fmt::format("{}chaoschip: point {} ({}) failed: {}\n",
                                   show ? "\r\033[K" : "", p.index, p.file, r.error);
        line.steps(fmt::format("sweep ({} points{})", points.size(),
                               mpi.size() > 1 ? fmt::format(", rank 0 of {}", mpi.size()) : ""),
                   static_cast<std::int64_t>(finished), static_cast<std::int64_t>(mine.size()));
      });
  mpi.barrier();
  if (mpi.rank() != 0) return 0;
  const io::sweep_outcome outcome = io::write_summary(a.spec, points);
  if (!a.quiet)
    std::cout << fmt::format(
        "sweep: {} points, {} failed; {} reused from an earlier run (rank 0) -> {}/summary.h5, "
        "{}/summary.csv\n",
        points.size(), outcome.failed, reused, a.spec.dir, a.spec.dir);
  return outcome.exit_code;
}

io::run_config load(const run_args& a) {
  return a.config.empty()
             ? io::parse_config(experiment::default_experiment_toml(), "<embedded default>", a.sets)
             : io::load_config(a.config, a.sets);
}

struct whatif_args {
  run_args run;
  io::whatif_options options;
};

int cmd_whatif(const whatif_args& a) {
  const io::run_config cfg = load(a.run);  // run_whatif checks it (without learning)
  check_output(a.run.output, a.run.config, cfg, "whatif");
  {
    // Each setting is a run with spikes recorded; the reference's spikes are kept.
    io::run_config one = cfg;
    one.record.spikes = true;
    one.record.states = false;
    io::memory_estimate need = experiment::estimate_run(one);
    need.output_bytes = 0.0;  // a table
    check_resources(need, "this what-if study", a.run.output, a.run.quiet);
  }
  progress_line progress(!a.run.quiet);
  const auto rows = experiment::run_whatif(cfg, a.options, [&](const experiment::progress_info& p) {
    if (p.finished) return;  // one line for the whole study, not one per setting
    progress(p);
  });
  io::write_whatif(a.run.output, rows, cfg, a.options);
  if (!a.run.quiet) {
    if (isatty(fileno(stdout))) std::cout << "\r\033[K";
    std::cout << experiment::format_whatif(rows) << "wrote " << a.run.output << "\n";
  }
  return 0;
}

int cmd_info(const std::string& path) {
  // NIR graphs (*.nir, or HDF5 with a root `node` group) have their own summary.
  std::cout << (io::is_nir_file(path) ? io::summarize_nir_file(path)
                                      : io::summarize_run_file(path));
  return 0;
}

struct export_args {
  std::string input, output;
  std::string weights = "final";
  bool quiet = false;
};

// Neurons of a graph: the width of its nodes with state.
std::size_t count_neurons(const io::nir_graph& graph) {
  std::size_t n = 0;
  for (const auto& node : graph.nodes) switch (node.type) {
      case io::nir_type::lif:
      case io::nir_type::cuba_lif:
      case io::nir_type::li:
      case io::nir_type::cuba_li:
      case io::nir_type::if_:
      case io::nir_type::i:
        n += io::nir_size(node);
        break;
      default:
        break;
    }
  return n;
}

int cmd_export_nir(const export_args& a) {
  // Before reading anything: the target must be writable and not the run file itself.
  io::check_not_an_input(a.output, {a.input}, "export-nir");
  io::check_output_file(a.output);
  experiment::export_origin origin;
  origin.source = fs::path(a.input).filename().string();
  origin.version = CHAOSCHIP_VERSION;
  origin.weights = a.weights == "initial" ? experiment::export_weights::initial
                                          : experiment::export_weights::final;
  const io::nir_graph graph = experiment::export_run(a.input, origin);
  io::write_nir(a.output, graph, {a.input}, "export-nir");
  if (!a.quiet)
    std::cout << fmt::format(
        "wrote {} (NIR graph: {} nodes, {} neurons, {} edges; {} weights of {})\n", a.output,
        graph.nodes.size(), count_neurons(graph), graph.edges.size(), a.weights, a.input);
  return 0;
}

int cmd_chips() {
  std::cout << fmt::format("{:<10} {:<8} {:>7} {:<16} {:>7} {:>7}  {:<11} {:<9} {}\n", "profile",
                           "kernel", "weights", "quantizer", "state", "traces", "rounding",
                           "overflow", "updates");
  for (const auto& p : neuromorphic::builtin_profiles()) {
    auto bits = [](int b, int frac) {
      if (b == 0) return std::string("float");
      return frac > 0 ? fmt::format("{}.{}", b, frac) : std::to_string(b);
    };
    std::cout << fmt::format(
        "{:<10} {:<8} {:>7} {:<16} {:>7} {:>7}  {:<11} {:<9} {}\n", p.name,
        neuromorphic::to_string(p.kernel), bits(p.weight_bits, 0),
        neuromorphic::to_string(p.quantizer), bits(p.state_bits, p.state_frac_bits),
        bits(p.trace_bits, p.trace_frac_bits), neuromorphic::to_string(p.weight_rounding),
        neuromorphic::to_string(p.state_overflow),
        p.kernel == neuromorphic::kernel_kind::xylo
            ? std::string("none (no on-chip learning)")
            : fmt::format("{}, {}", neuromorphic::to_string(p.update_rounding),
                          neuromorphic::to_string(p.updates)));
  }
  std::cout << "\n";
  for (const auto& p : neuromorphic::builtin_profiles())
    std::cout << fmt::format("{:<10} {}\n", p.name, p.description);
  std::cout << "\nCustom profiles: chip.profile = \"path/to/profile.toml\" (see examples/chips/), "
               "and any field can be overridden in [chip], e.g. --set chip.weight_bits=4.\n";
  return 0;
}

// `chaoschip run`: its options into `a`.
CLI::App* add_run(CLI::App& app, run_args& a) {
  auto* run = app.add_subcommand("run", "Simulate (and train) the network a config describes");
  run->add_option("CONFIG", a.config,
                  "TOML config; relative paths in it are relative to its folder. Without "
                  "CONFIG: the embedded default experiment (a sine-task network with "
                  "states recorded, plus a gain study), not the documented key defaults; "
                  "an empty file gives those");
  run->add_option("-o,--output", a.output, "output run file")->capture_default_str();
  run->add_option("--set", a.sets, "override a config key: --set network.gain=1.5")
      ->type_name("KEY=VALUE")
      ->allow_extra_args(false);
  run->add_option("--threads", a.threads,
                  "worker threads for the Lyapunov spectra (0: all cores; results do not "
                  "depend on it)")
      ->check(CLI::Range(0, 4096));
  run->add_flag("-q,--quiet", a.quiet, "no progress line or summary");
  run->add_option("--resume", a.resume,
                  "continue training from a checkpoint (OUTPUT.ckpt, written every "
                  "train.checkpoint_every iterations and on Ctrl-C); same CONFIG and --set")
      ->type_name("CHECKPOINT");
  return run;
}

// `chaoschip whatif`: its options into `a`.
CLI::App* add_whatif(CLI::App& app, whatif_args& a) {
  a.run.output = "chaoschip-whatif.h5";
  auto* whatif = app.add_subcommand(
      "whatif",
      "Hardware what-if: the same network at float64 and at several weight precisions "
      "and roundings on the config's chip profile, compared spike by spike");
  whatif->add_option("CONFIG", a.run.config, "TOML config (default: the embedded default)");
  whatif->add_option("-o,--output", a.run.output, "output table (.h5)")->capture_default_str();
  whatif->add_option("--bits", a.options.bits, "weight bits to try")
      ->delimiter(',')
      ->capture_default_str();
  whatif->add_option("--rounding", a.options.roundings, "roundings to try")
      ->delimiter(',')
      ->check(CLI::IsMember(names_of(neuromorphic::rounding_names)))
      ->capture_default_str();
  whatif->add_option("--set", a.run.sets, "override a config key")->type_name("KEY=VALUE");
  whatif->add_flag("-q,--quiet", a.run.quiet, "no progress line or table");
  return whatif;
}

// `chaoschip lyapunov`: its options into `a`.
CLI::App* add_lyapunov(CLI::App& app, lyapunov_args& a) {
  auto* lyap = app.add_subcommand(
      "lyapunov",
      "Lyapunov spectrum of a config's untrained network, of a run file's weights (before "
      "and after training), or along a run file's recorded trajectory (/states)");
  lyap->add_option("INPUT", a.input, "CONFIG.toml or RUN.h5")->required();
  lyap->add_option("-o,--output", a.output,
                   "output file (default: INPUT's name + .lyap.h5 in the current directory)");
  lyap->add_option("--set", a.sets, "override a config key: --set lyapunov.k=10")
      ->type_name("KEY=VALUE");
  lyap->add_option("--threads", a.threads,
                   "worker threads over tangent vectors (0: all cores; results do not depend "
                   "on it)")
      ->check(CLI::Range(0, 4096));
  lyap->add_flag("-q,--quiet", a.quiet, "no summary");
  return lyap;
}

// `chaoschip sweep`: its options into `a`.
CLI::App* add_sweep(CLI::App& app, sweep_args& a) {
  auto* sweep = app.add_subcommand(
      "sweep",
      "Run the cartesian product of grids x seeds in parallel: one run file per point in DIR, "
      "DIR/summary.h5 and DIR/summary.csv (under mpirun, points are shared across ranks)");
  sweep->add_option("CONFIG", a.spec.config, "TOML config")->required();
  sweep->add_option("--grid", a.grids, "a grid axis: KEY=V1,V2,... (TOML values; repeatable)")
      ->type_name("KEY=V1,V2,...");
  sweep->add_option("--seeds", a.spec.seeds, "seeds per grid point (seed, seed+1, ...)")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000000));
  sweep->add_option("-o,--output", a.spec.dir, "output directory")->capture_default_str();
  sweep
      ->add_option("-j,--jobs", a.jobs,
                   "points run at once (default: all cores; 1 per rank under MPI)")
      ->check(CLI::Range(0, 4096));
  sweep->add_option("--set", a.spec.overrides, "override a config key for every point")
      ->type_name("KEY=VALUE");
  sweep->add_flag("-q,--quiet", a.quiet, "no progress line or summary line");
  return sweep;
}

// `chaoschip info`: its argument into `path`.
CLI::App* add_info(CLI::App& app, std::string& path) {
  auto* info = app.add_subcommand(
      "info", "Summarise a run file, a sweep's summary.h5 or a NIR graph (.nir)");
  info->add_option("RUN", path, "run file (.h5) or NIR graph (.nir)")->required();
  return info;
}

// `chaoschip export-nir`: its options into `a`.
CLI::App* add_export_nir(CLI::App& app, export_args& a) {
  auto* export_nir = app.add_subcommand(
      "export-nir",
      "Write a run's network as a NIR graph (docs/nir.md, \"Exporting\"): a config network "
      "with its initial or final weights, or the NIR graph the run simulated");
  export_nir->add_option("RUN", a.input, "run file (.h5)")->required();
  export_nir->add_option("-o,--output", a.output, "output NIR graph (.nir)")->required();
  export_nir
      ->add_option("--weights", a.weights, "which weights: /network/initial or /network/final")
      ->check(CLI::IsMember({"initial", "final"}))
      ->capture_default_str();
  export_nir->add_flag("-q,--quiet", a.quiet, "no summary line");
  return export_nir;
}

}  // namespace

int main(int argc, char** argv) {
  // Training allocates the same few large buffers every iteration; keeping freed memory
  // in the heap instead of returning it to the kernel avoids a page fault per page.
  mallopt(M_MMAP_THRESHOLD, 256 << 20);
  mallopt(M_TRIM_THRESHOLD, 512 << 20);
  CLI::App app{
      "chaoschip: recurrent networks on neuromorphic hardware - simulation, "
      "learning (e-prop, BPTT), Lyapunov spectra and chip what-if studies"};
  app.set_version_flag("--version", version_string());
  app.require_subcommand(1);

  run_args ra;
  whatif_args wa;
  lyapunov_args la;
  sweep_args sa;
  export_args ea;
  std::string info_path;
  CLI::App* run = add_run(app, ra);
  CLI::App* whatif = add_whatif(app, wa);
  CLI::App* lyap = add_lyapunov(app, la);
  CLI::App* sweep = add_sweep(app, sa);
  CLI::App* info = add_info(app, info_path);
  CLI::App* export_nir = add_export_nir(app, ea);

  auto* chips = app.add_subcommand("chips", "List the chip profiles");

  try {
    app.parse(argc, argv);
    if (*run) return cmd_run(ra);
    if (*info) return cmd_info(info_path);
    if (*lyap) return cmd_lyapunov(la);
    if (*sweep) return cmd_sweep(sa);
    if (*whatif) return cmd_whatif(wa);
    if (*chips) return cmd_chips();
    if (*export_nir) return cmd_export_nir(ea);
    return 1;
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);
    std::cerr << "chaoschip: error: " << e.what() << " (see chaoschip --help)\n";
    return 2;
  } catch (const input_error& e) {
    std::cerr << "chaoschip: error: " << e.what() << "\n";
    return 2;
  } catch (const numerical_error& e) {
    std::cerr << "chaoschip: numerical failure: " << e.what() << "\n";
    return 3;
  } catch (const std::exception& e) {
    std::cerr << "chaoschip: internal error: " << e.what() << "\n";
    return 1;
  }
}
