#pragma once
// Path safety for every command: an output never replaces a device, a FIFO or one of the
// command's own inputs, inputs are regular files (a FIFO would block a reader forever), and
// file-system refusals (a name too long, a missing directory) are file_errors (exit 2),
// never std::filesystem exceptions.
#include <string>
#include <vector>

namespace chaoschip::io {

struct run_config;

// Throws file_error when `path` exists and is not a regular file (a FIFO, a device, a
// socket or a directory), or its name is too long. A missing file is left to the caller,
// who knows what to call it ("no such file", "no such chip profile file").
void check_input_file(const std::string& path);

// Fails early (before a long run) when `path` cannot be an output file: a directory, an
// existing file that is not a regular file (a device such as /dev/null, a FIFO, a socket),
// a missing directory, or a name too long for the file system (with room for the hidden
// temporary name the atomic writer uses beside it).
void check_output_file(const std::string& path);

// Fails when `dir` cannot be an output directory: it exists and is not a directory, or its
// name is too long.
void check_output_directory(const std::string& dir);

// The files a config reads besides itself: network.file (init = "file"), task.file
// (task.name = "file"), and a chip profile given as a path (and its `base`, when that
// is a file too). Paths as the config holds them.
std::vector<std::string> config_inputs(const run_config& config);

// Throws file_error naming `output` when it is the same file as one of `inputs` (compared
// by device and inode, so a symlink, a hard link or another spelling of the name is
// caught too). `command` names the refusing command in the message.
void check_not_an_input(const std::string& output, const std::vector<std::string>& inputs,
                        const std::string& command);

// The message for an errno from writing a file: "no space left on device" for ENOSPC,
// else the system's description.
std::string describe_write_error(int error_number);

}  // namespace chaoschip::io
